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
    }

    private void AssertPng(string path, int width, int height)
    {
        output.WriteLine(path);
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
    }
}
