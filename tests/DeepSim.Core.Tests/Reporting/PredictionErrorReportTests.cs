using DeepSim.Evaluation;
using DeepSim.Patches;
using DeepSim.Reporting;
using Xunit;

namespace DeepSim.Tests.Reporting;

/// <summary>The prediction-error report folder that Export-PredictionErrorReport writes.</summary>
public sealed class PredictionErrorReportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"deepsim-report-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static PredictionErrorResult Result(string metric, string source, params int[] errors) =>
        PredictionErrorResult.FromErrors(metric, [.. errors.Select((e, i) => new PatchPredictionError(new PatchCenter(i, i), e + 1, e, SearchOffset.Zero, 1f, 1f))]) with { Source = source };

    private static List<PredictionErrorResult> Results() =>
        [Result("NMI", "group 1", 0, 0, 3, 7), Result("LCC", "group 1", 1, 0, 12, 40), Result("NMI", "group 2", 0, 2, 0), Result("LCC", "group 2", 5, 0, 9)];

    [Fact]
    public void WritesTheTablesOfTheSummaryAndTheFigureIntoACreatedFolder()
    {
        var results = Results();
        var options = new PredictionErrorReportOptions { Resamples = 50, Seed = 3, Title = "Held-out groups" };
        var rows = PredictionErrorReport.Summarise(results, options);

        PredictionErrorReport.Write(_folder, results, rows, options);

        // Two sources: one row per (source, metric), then the pooled rows.
        Assert.Equal(["group 1", "group 1", "group 2", "group 2", "pooled", "pooled"], rows.Select(r => r.Source));
        Assert.Equal(PredictionErrorTable.Summarise(results, 50, 3), rows);
        var markdown = File.ReadAllText(Path.Combine(_folder, PredictionErrorReport.MarkdownFile));
        Assert.StartsWith("# Held-out groups\n\n", markdown);
        Assert.Contains("(50 resamples, seed 3)", markdown);
        Assert.EndsWith(PredictionErrorTable.ToMarkdown(rows), markdown);
        Assert.Equal(PredictionErrorTable.ToCsv(rows), File.ReadAllText(Path.Combine(_folder, PredictionErrorReport.CsvFile)));
        var png = File.ReadAllBytes(Path.Combine(_folder, PredictionErrorReport.FigureFile));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public void TheFigureDrawsEachMetricOnceWithTheErrorsOfEverySource()
    {
        var byMetric = PredictionErrorReport.ErrorsByMetric(Results());
        Assert.Equal(["NMI", "LCC"], byMetric.Select(m => m.Metric));
        Assert.Equal([0, 0, 3, 7, 0, 2, 0], byMetric[0].Errors);
        Assert.Equal([1, 0, 12, 40, 5, 0, 9], byMetric[1].Errors);
    }

    [Fact]
    public void DefaultsAreTheCmdletDefaults()
    {
        var options = new PredictionErrorReportOptions();
        Assert.Equal((2000, 1, "Prediction error"), (options.Resamples, options.Seed, options.Title));
        Assert.StartsWith("# Prediction error\n", PredictionErrorReport.ToMarkdown([], null));
    }
}
