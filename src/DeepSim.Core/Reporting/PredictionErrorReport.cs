using DeepSim.Evaluation;

namespace DeepSim.Reporting;

/// <summary>Settings of <see cref="PredictionErrorReport"/>.</summary>
public sealed record PredictionErrorReportOptions
{
    /// <summary>Bootstrap resamples for the confidence intervals. Default 2000.</summary>
    public int Resamples { get; init; } = 2000;

    /// <summary>Seed of the bootstrap. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Title of the Markdown document and of the figure.</summary>
    public string Title { get; init; } = "Prediction error";
}

/// <summary>
/// The comparison report of prediction-error results in a folder: prediction-error.md and prediction-error.csv (the
/// summary table with bootstrap intervals, per source and pooled) and figures/prediction-error.png (the error
/// distributions). Every file is written to a temporary name and renamed.
/// </summary>
public static class PredictionErrorReport
{
    /// <summary>Name of the Markdown table in the report folder.</summary>
    public const string MarkdownFile = "prediction-error.md";

    /// <summary>Name of the CSV table in the report folder.</summary>
    public const string CsvFile = "prediction-error.csv";

    /// <summary>Path of the figure relative to the report folder.</summary>
    public static readonly string FigureFile = Path.Combine("figures", "prediction-error.png");

    /// <summary>The summary rows of the report (<see cref="PredictionErrorTable.Summarise"/> with the options' resamples and seed).</summary>
    public static IReadOnlyList<PredictionErrorSummary> Summarise(IEnumerable<PredictionErrorResult> results, PredictionErrorReportOptions? options = null)
    {
        options ??= new PredictionErrorReportOptions();
        return PredictionErrorTable.Summarise(results, options.Resamples, options.Seed);
    }

    /// <summary>The Markdown document: a title, what the numbers mean, and the table.</summary>
    public static string ToMarkdown(IReadOnlyList<PredictionErrorSummary> rows, PredictionErrorReportOptions? options = null)
    {
        options ??= new PredictionErrorReportOptions();
        return $"# {options.Title}\n\nPrediction error = rank of the best score inside the true region minus 1 (0 is a hit); 95% percentile bootstrap intervals over patches ({options.Resamples} resamples, seed {options.Seed}).\n\n" + PredictionErrorTable.ToMarkdown(rows);
    }

    /// <summary>Every metric's errors over all results, one entry per metric in first-seen order (what the figure draws).</summary>
    public static IReadOnlyList<MetricErrors> ErrorsByMetric(IEnumerable<PredictionErrorResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return [.. results.GroupBy(r => r.Metric).Select(g => new MetricErrors(g.Key, [.. g.SelectMany(r => r.Errors).Select(e => (double)e.Error)]))];
    }

    /// <summary>
    /// Writes the report of <paramref name="results"/> (summarised as <paramref name="rows"/>) into
    /// <paramref name="folder"/>, creating it and its figures folder if needed.
    /// </summary>
    /// <exception cref="IOException">A file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void Write(string folder, IReadOnlyList<PredictionErrorResult> results, IReadOnlyList<PredictionErrorSummary> rows, PredictionErrorReportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new PredictionErrorReportOptions();
        Directory.CreateDirectory(folder);
        PredictionErrorTable.WriteAtomic(Path.Combine(folder, MarkdownFile), ToMarkdown(rows, options));
        PredictionErrorTable.WriteAtomic(Path.Combine(folder, CsvFile), PredictionErrorTable.ToCsv(rows));
        var byMetric = ErrorsByMetric(results);

        // Wide enough that every metric's label has room under its box.
        PredictionErrorPlots.WriteDistribution(byMetric, Path.Combine(folder, FigureFile), options.Title, Math.Max(900, 420 + (120 * byMetric.Count)), 560);
    }
}
