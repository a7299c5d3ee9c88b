using System.Globalization;
using System.Text;
using DeepSim.Evaluation;

namespace DeepSim.Reporting;

/// <summary>One row of a prediction-error table: a metric on one source (or pooled), with bootstrap intervals.</summary>
/// <param name="Source">Image set the errors come from, or "pooled".</param>
/// <param name="Metric">Metric name.</param>
/// <param name="Count">Number of patches.</param>
/// <param name="Mean">Mean prediction error with its interval.</param>
/// <param name="Median">Median with its interval.</param>
/// <param name="Std">Standard deviation with its interval.</param>
/// <param name="HitRate">Fraction of patches with error 0, with its interval.</param>
public sealed record PredictionErrorSummary(string Source, string Metric, int Count, ConfidenceInterval Mean, ConfidenceInterval Median, ConfidenceInterval Std, ConfidenceInterval HitRate);

/// <summary>Builds the comparison table of several metrics over several image sets, per set and pooled, and writes it as Markdown and CSV.</summary>
public static class PredictionErrorTable
{
    /// <summary>The label of pooled rows.</summary>
    public const string Pooled = "pooled";

    /// <summary>
    /// One row per (source, metric) in input order, then, when there is more than one source, one pooled row per
    /// metric (all of its patches together). Intervals are 95% percentile bootstraps over patches with the given seed.
    /// </summary>
    public static IReadOnlyList<PredictionErrorSummary> Summarise(IEnumerable<PredictionErrorResult> results, int resamples = 2000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(results);
        var list = results.ToList();
        var rows = new List<PredictionErrorSummary>();
        foreach (var r in list)
        {
            rows.Add(Row(r.Source ?? "?", r.Metric, [.. r.Errors.Select(e => (double)e.Error)], resamples, seed));
        }

        var sources = list.Select(r => r.Source).Distinct().Count();
        if (sources > 1)
        {
            foreach (var metric in list.Select(r => r.Metric).Distinct())
            {
                var errors = list.Where(r => r.Metric == metric).SelectMany(r => r.Errors).Select(e => (double)e.Error).ToList();
                rows.Add(Row(Pooled, metric, errors, resamples, seed));
            }
        }

        return rows;
    }

    /// <summary>A Markdown table (one line per row).</summary>
    public static string ToMarkdown(IReadOnlyList<PredictionErrorSummary> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Source | Metric | n | Mean error [95% CI] | Median [95% CI] | Std [95% CI] | Hit rate [95% CI] |");
        sb.AppendLine("|---|---|---:|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Source} | {r.Metric} | {r.Count} | {Fmt(r.Mean, "F1")} | {Fmt(r.Median, "F1")} | {Fmt(r.Std, "F1")} | {Fmt(r.HitRate, "P1")} |").AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>CSV with a header; estimates and bounds in separate columns, invariant culture.</summary>
    public static string ToCsv(IReadOnlyList<PredictionErrorSummary> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("source,metric,n,mean,mean_lo,mean_hi,median,median_lo,median_hi,std,std_lo,std_hi,hit_rate,hit_rate_lo,hit_rate_hi");
        foreach (var r in rows)
        {
            sb.Append(Csv(r.Source)).Append(',').Append(Csv(r.Metric)).Append(',').Append(r.Count.ToString(CultureInfo.InvariantCulture));
            foreach (var ci in new[] { r.Mean, r.Median, r.Std, r.HitRate })
            {
                sb.Append(CultureInfo.InvariantCulture, $",{ci.Estimate:R},{ci.Lower:R},{ci.Upper:R}");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>Writes text (UTF-8, no BOM) atomically: a temporary file in the same folder, then a rename.</summary>
    public static void WriteAtomic(string path, string text) => FigureWriter.WriteAtomically(path, new UTF8Encoding(false).GetBytes(text));

    private static PredictionErrorSummary Row(string source, string metric, List<double> errors, int resamples, int seed)
    {
        var b = BootstrapInterval.Compute(errors, resamples, seed);
        return new PredictionErrorSummary(source, metric, errors.Count, b.Mean, b.Median, b.Std, b.HitRate);
    }

    private static string Fmt(ConfidenceInterval ci, string format) =>
        string.Create(CultureInfo.InvariantCulture, $"{ci.Estimate.ToString(format, CultureInfo.InvariantCulture)} [{ci.Lower.ToString(format, CultureInfo.InvariantCulture)}, {ci.Upper.ToString(format, CultureInfo.InvariantCulture)}]");

    private static string Csv(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
