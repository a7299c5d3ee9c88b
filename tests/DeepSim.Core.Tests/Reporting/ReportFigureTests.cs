using DeepSim.Reporting;
using SkiaSharp;
using Xunit;

namespace DeepSim.Tests.Reporting;

public sealed class ReportFigureTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "deepsim-figure-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static SKBitmap Decode(string path)
    {
        var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        return bitmap;
    }

    /// <summary>How many pixels have exactly this colour (line cores are drawn in the pure series colour).</summary>
    private static int CountColour(SKBitmap bitmap, SKColor colour)
    {
        var count = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                count += c.Red == colour.Red && c.Green == colour.Green && c.Blue == colour.Blue ? 1 : 0;
            }
        }

        return count;
    }

    private static SKColor Series(int i)
    {
        var c = PanelStyle.SeriesColor(i);
        return new SKColor(c.R, c.G, c.B);
    }

    [Fact]
    public void Every_figure_is_a_PNG_of_the_requested_size_in_a_created_folder_with_no_temporary_files_left()
    {
        var nested = Path.Combine(_folder, "a", "b");
        var errors = Path.Combine(nested, "errors.png");
        var training = Path.Combine(nested, "training.png");
        var sdae = Path.Combine(nested, "sdae.png");
        PredictionErrorPlots.WriteDistribution(FakeData.Errors(300), errors, "errors", 640, 400);
        TrainingCurvePlots.Write(FakeData.Curves(12), training, "training", 700, 350);
        SdaeCurvePlots.Write(FakeData.Sdae(9), sdae, "sdae", 500, 420);

        foreach (var (path, w, h) in new[] { (errors, 640, 400), (training, 700, 350), (sdae, 500, 420) })
        {
            using var bitmap = Decode(path);
            Assert.Equal((w, h), (bitmap.Width, bitmap.Height));
        }

        Assert.Equal(["errors.png", "sdae.png", "training.png"], Directory.GetFiles(nested).Select(f => Path.GetFileName(f)!).Order().ToArray());
    }

    [Fact]
    public void The_same_input_gives_the_same_bytes_and_an_existing_file_is_replaced()
    {
        var path = Path.Combine(_folder, "errors.png");
        Directory.CreateDirectory(_folder);
        File.WriteAllText(path, "old content");
        PredictionErrorPlots.WriteDistribution(FakeData.Errors(500), path, "determinism");
        var first = File.ReadAllBytes(path);
        PredictionErrorPlots.WriteDistribution(FakeData.Errors(500), path, "determinism");
        Assert.Equal(first, File.ReadAllBytes(path));

        var training = Path.Combine(_folder, "training.png");
        TrainingCurvePlots.Write(FakeData.Curves(), training, "t");
        var trainingBytes = File.ReadAllBytes(training);
        TrainingCurvePlots.Write(FakeData.Curves(), training, "t");
        Assert.Equal(trainingBytes, File.ReadAllBytes(training));

        PredictionErrorPlots.WriteDistribution(FakeData.Errors(500, seed: 1), path, "determinism");
        Assert.NotEqual(first, File.ReadAllBytes(path));
    }

    [Fact]
    public void Each_metric_and_model_is_drawn_in_its_own_colour()
    {
        var errors = Path.Combine(_folder, "errors.png");
        PredictionErrorPlots.WriteDistribution(FakeData.Errors(400), errors, "colours");
        using (var bitmap = Decode(errors))
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.True(CountColour(bitmap, Series(i)) > 100, $"metric {i} colour missing");
            }

            Assert.True(CountColour(bitmap, Series(5)) < 5, "a sixth series colour appears although there are five metrics");
        }

        var training = Path.Combine(_folder, "training.png");
        TrainingCurvePlots.Write(FakeData.Curves(), training, "colours");
        using (var bitmap = Decode(training))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.True(CountColour(bitmap, Series(i)) > 100, $"model {i} colour missing");
            }
        }
    }

    [Fact]
    public void A_missing_font_family_and_degenerate_data_do_not_break_the_figure()
    {
        var path = Path.Combine(_folder, "nofont.png");
        PredictionErrorPlots.WriteDistribution([new MetricErrors("only zeros", [0, 0, 0])], path, "no font", 320, 240, fontFamily: "No Such Font Family 8b1f");
        using (var bitmap = Decode(path))
        {
            Assert.Equal((320, 240), (bitmap.Width, bitmap.Height));
        }

        var one = Path.Combine(_folder, "one-epoch.png");
        TrainingCurvePlots.Write([new TrainingCurve("m", [new EpochPoint(1, 0.5, 0.5, null, null)])], one, string.Empty);
        using (var bitmap = Decode(one))
        {
            Assert.Equal(1000, bitmap.Width);
        }

        var flat = Path.Combine(_folder, "flat.png");
        SdaeCurvePlots.Write([("constant", [0.02, 0.02])], flat, "flat");
        using (var bitmap = Decode(flat))
        {
            Assert.Equal(800, bitmap.Width);
        }
    }

    [Fact]
    public void Invalid_inputs_are_rejected_before_anything_is_written()
    {
        var path = Path.Combine(_folder, "never.png");
        Assert.Throws<ArgumentException>(() => PredictionErrorPlots.WriteDistribution([], path, "x"));
        Assert.Throws<ArgumentException>(() => PredictionErrorPlots.WriteDistribution([new MetricErrors("empty", [])], path, "x"));
        Assert.Throws<ArgumentException>(() => PredictionErrorPlots.WriteDistribution([new MetricErrors("neg", [1, -1])], path, "x"));
        Assert.Throws<ArgumentException>(() => PredictionErrorPlots.WriteDistribution([new MetricErrors("nan", [double.NaN])], path, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => PredictionErrorPlots.WriteDistribution([new MetricErrors("ok", [1])], path, "x", width: 10));
        Assert.Throws<ArgumentException>(() => TrainingCurvePlots.Write([], path, "x"));
        Assert.Throws<ArgumentException>(() => TrainingCurvePlots.Write([new TrainingCurve("pct", [new EpochPoint(1, 0.5, 85, null, null)])], path, "x"));
        Assert.Throws<ArgumentException>(() => TrainingCurvePlots.Write([new TrainingCurve("inf", [new EpochPoint(1, double.PositiveInfinity, 0.5, null, null)])], path, "x"));
        Assert.Throws<ArgumentException>(() => SdaeCurvePlots.Write([("zero", [0.1, 0.0])], path, "x"));
        Assert.Throws<ArgumentException>(() => SdaeCurvePlots.Write([("none", [])], path, "x"));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Statistics_follow_NumPy_and_the_hit_rate_definition()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1.75, PredictionErrorPlots.Quantile(sorted, 0.25), 12);
        Assert.Equal(2.5, PredictionErrorPlots.Quantile(sorted, 0.5), 12);
        Assert.Equal(3.25, PredictionErrorPlots.Quantile(sorted, 0.75), 12);
        Assert.Equal(7.0, PredictionErrorPlots.Quantile([7], 0.5));
        Assert.Equal(50.0, PredictionErrorPlots.HitRate([0, 1, 5, 9], 1));
        Assert.Equal(100.0, PredictionErrorPlots.HitRate([0, 1, 5, 9], 9));
        Assert.Equal(0.0, PredictionErrorPlots.ToAxis(0));
        Assert.Equal(Math.Log10(6561), PredictionErrorPlots.ToAxis(6560), 12);
    }

    [Fact]
    public void Long_metric_names_are_wrapped_at_spaces()
    {
        Assert.Equal("NMI", PredictionErrorPlots.Wrap("NMI", 8));
        Assert.Equal("DeepSim\n(T1/PD,\nlong\nname)", PredictionErrorPlots.Wrap("DeepSim (T1/PD, long name)", 8));
        Assert.Equal("Supercalifragilistic\nx", PredictionErrorPlots.Wrap("Supercalifragilistic x", 6));
    }

    [Fact]
    public void Log_ticks_are_labelled_in_error_units()
    {
        var wide = PanelStyle.LogTickList(0, 6560, PredictionErrorPlots.ToAxis);
        Assert.Equal(["0", "1", "10", "100", "1000"], wide.Where(t => t.IsMajor).Select(t => t.Label).ToArray());
        var tick100 = wide.Single(t => t.Label == "100");
        Assert.Equal(Math.Log10(101), tick100.Position, 12);

        var narrow = PanelStyle.LogTickList(0.004, 0.09, Math.Log10);
        Assert.Equal(["0.005", "0.01", "0.02", "0.05"], narrow.Where(t => t.IsMajor).Select(t => t.Label).ToArray());

        var withinDecade = PanelStyle.LogTickList(0.031, 0.058, Math.Log10);
        Assert.True(withinDecade.Count(t => t.IsMajor) >= 2);
    }
}
