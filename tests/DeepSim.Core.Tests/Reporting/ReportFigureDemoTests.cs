using DeepSim.Reporting;
using SkiaSharp;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Reporting;

/// <summary>
/// Writes every report figure from realistic fake inputs to a temporary folder (named in the test output) so a person
/// can look at them, and checks each is a decodable PNG of the requested size.
/// </summary>
public sealed class ReportFigureDemoTests(ITestOutputHelper output)
{
    public static string DemoFolder => Path.Combine(Path.GetTempPath(), "deepsim-figure-demo");

    [Fact]
    public void Demo_figures_are_written_as_PNGs_of_the_requested_size()
    {
        Directory.CreateDirectory(DemoFolder);
        var errors = Path.Combine(DemoFolder, "prediction-errors.png");
        PredictionErrorPlots.WriteDistribution(FakeData.Errors(), errors, "Prediction error, CT/MR head (fake demo data)");
        AssertPng(errors, 900, 520);

        var training = Path.Combine(DemoFolder, "training-curves.png");
        TrainingCurvePlots.Write(FakeData.Curves(), training, "Training, CT/MR head (fake demo data)");
        AssertPng(training, 1000, 460);

        var sdae = Path.Combine(DemoFolder, "sdae-pretraining.png");
        SdaeCurvePlots.Write(FakeData.Sdae(), sdae, "SDAE pre-training (fake demo data)");
        AssertPng(sdae, 800, 500);
    }

    [Fact]
    public void Demo_edge_case_figures_stay_readable()
    {
        Directory.CreateDirectory(DemoFolder);
        var zeros = Path.Combine(DemoFolder, "edge-errors-few.png");
        PredictionErrorPlots.WriteDistribution(
            [new MetricErrors("all exact", [0, 0, 0]), new MetricErrors("one miss", [0, 0, 3]), new MetricErrors("NMI", [1, 2, 40, 6560])], zeros, "Few patches, missing font", 640, 400, fontFamily: "No Such Font Family 8b1f");
        AssertPng(zeros, 640, 400);

        var many = Path.Combine(DemoFolder, "edge-errors-many-metrics.png");
        var metrics = FakeData.Errors(800).Concat(FakeData.Errors(800, seed: 9).Select(m => m with { Metric = m.Metric + " (T1/PD, long name)" })).Take(8).ToList();
        PredictionErrorPlots.WriteDistribution(metrics, many, "Eight metrics with long names at the default size");
        AssertPng(many, 900, 520);

        var one = Path.Combine(DemoFolder, "edge-training-short.png");
        TrainingCurvePlots.Write([new TrainingCurve("m", [new EpochPoint(1, 0.69, 0.5, 0.7, 0.48), new EpochPoint(2, 0.6, 0.62, null, null), new EpochPoint(3, 0.52, 0.7, 0.58, 0.66)])], one, "Three epochs");
        AssertPng(one, 1000, 460);

        var flat = Path.Combine(DemoFolder, "edge-sdae-flat.png");
        SdaeCurvePlots.Write([("constant", [0.02, 0.02, 0.0201]), ("tiny", [3e-5, 2e-5, 1.5e-5])], flat, "Flat and tiny reconstruction errors");
        AssertPng(flat, 800, 500);
    }

    private void AssertPng(string path, int width, int height)
    {
        output.WriteLine(path);
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
    }
}
