using DeepSim.Evaluation;
using DeepSim.Patches;
using DeepSim.Reporting;
using DeepSim.Similarity;
using DeepSim.Tests.Similarity;
using SkiaSharp;
using Xunit;

namespace DeepSim.Tests.Evaluation;

/// <summary>Similarity maps and their PNG rendering.</summary>
public class SimilarityMapTests
{
    [Fact]
    public void MapExposesScoresByOffsetAndItsBest()
    {
        var scores = Enumerable.Range(0, 25).Select(i => (float)(i == 7 ? 100 : i)).ToArray();
        var map = SimilarityMap.FromSearchWindow("NMI", new PatchCenter(10, 12), 2, scores, SearchOffset.Zero);
        Assert.Equal(5, map.Width);
        Assert.Equal(100, map[0, -1]);
        Assert.Equal(new SearchOffset(0, -1), map.BestOffset);
        Assert.Equal(100, map.BestScore);
        Assert.Equal(scores, map.Scores);
        var grid = map.ToArray2D();
        Assert.Equal(100, grid[1, 2]);
        Assert.Equal(24, grid[4, 4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => map[3, 0]);
        Assert.Throws<ArgumentException>(() => SimilarityMap.FromSearchWindow("NMI", default, 2, new float[24]));
    }

    [SkippableFact]
    public void RendererWritesADecodablePngOfTheExpectedSize()
    {
        var (t1, pd) = GreyPng.T1AndPd();
        var centre = new PatchCenter(90, 110);
        var maps = new[] { "NMI", "LCC", "NCC" }
            .Select(n => SimilarityMap.Compute(MetricRegistry.Create(n), t1, pd, centre, 17, 40, SearchOffset.Zero))
            .ToList();
        maps.Add(SimilarityMap.FromSearchWindow("With NaN", centre, 40, [.. Enumerable.Range(0, 81 * 81).Select(i => i % 7 == 0 ? float.NaN : i)], new SearchOffset(-3, 5)));
        var folder = Path.Combine(Path.GetTempPath(), $"deepsim-maps-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "maps.png");
            var written = SimilarityMapRenderer.WritePng(maps, path);
            Assert.Equal(path, written.Path);
            using var bitmap = SKBitmap.Decode(path);
            Assert.NotNull(bitmap);
            Assert.Equal(written.Width, bitmap.Width);
            Assert.Equal(written.Height, bitmap.Height);

            // 4 panels of 81 cells x 3 px side by side with 12 px margins.
            Assert.Equal(12 + (4 * (243 + 12)), bitmap.Width);
            Assert.Equal(12 + 40 + 243 + 22 + 12 + 22, bitmap.Height);
            Assert.Single(Directory.GetFiles(folder));

            // The top-left cell of the first panel is a viridis colour, not background.
            var cell = bitmap.GetPixel(12 + 1, 12 + 40 + 1);
            Assert.NotEqual(SKColors.White, cell);

            // NMI's best offset on these aligned images is (0, 0): the red cross is drawn at the panel's centre cell.
            Assert.Equal(SearchOffset.Zero, maps[0].BestOffset);
            var crossPixel = bitmap.GetPixel(12 + (int)(40.5 * 3), 12 + 40 + (int)(40.5 * 3));
            Assert.True(crossPixel.Red > 150 && crossPixel.Green < 100 && crossPixel.Blue < 100, $"expected the red cross, got {crossPixel}");

            // Overwriting works and wrapping into 2 columns changes the size.
            var wrapped = SimilarityMapRenderer.WritePng(maps, path, new SimilarityMapRenderOptions { Columns = 2 });
            Assert.Equal(12 + (2 * (243 + 12)), wrapped.Width);
            Assert.Single(Directory.GetFiles(folder));
            if (Environment.GetEnvironmentVariable("DEEPSIM_KEEP_MAP") is { Length: > 0 } keep)
            {
                SimilarityMapRenderer.WritePng(maps, keep);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ComputeAllGivesTheSameMapsAsOneByOne()
    {
        var random = new Random(8);
        var image = new DeepSim.Imaging.MedicalImage([.. Enumerable.Range(0, 900).Select(_ => (float)random.Next(0, 60))], 30, 30, 1);
        var centres = new[] { new PatchCenter(12, 14), new PatchCenter(16, 15) };
        var metric = new LocalCrossCorrelationMetric();
        var all = SimilarityMap.ComputeAll(metric, image, image, centres, 7, 4, SearchOffset.Zero);
        Assert.Equal(2, all.Count);
        for (var i = 0; i < centres.Length; i++)
        {
            var one = SimilarityMap.Compute(metric, image, image, centres[i], 7, 4, SearchOffset.Zero);
            Assert.Equal(one.Scores, all[i].Scores);
            Assert.Equal(centres[i], all[i].Center);
            Assert.Equal(SearchOffset.Zero, all[i].BestOffset);
        }
    }

    [Fact]
    public void RendererRejectsAMissingFolder()
    {
        var map = SimilarityMap.FromSearchWindow("NCC", default, 1, new float[9]);
        Assert.Throws<DirectoryNotFoundException>(() => SimilarityMapRenderer.WritePng([map], Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "x.png")));
    }
}
