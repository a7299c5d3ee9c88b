using DeepSim.Evaluation;
using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;
using DeepSim.Tests.Similarity;
using Xunit;

namespace DeepSim.Tests.Evaluation;

/// <summary>The whole protocol on real images and on constructed cases.</summary>
public class ProtocolTests
{
    private static bool[] Foreground(MedicalImage image, float threshold)
    {
        var voxels = image.VoxelSpan;
        var mask = new bool[voxels.Length];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = voxels[i] > threshold;
        }

        return mask;
    }

    [SkippableFact]
    public void RunOnAlignedT1AndPdGivesPlausibleErrorsPerMetric()
    {
        var (t1, pd) = GreyPng.T1AndPd();
        var options = new PredictionErrorOptions { Count = 40, SearchRadius = 12, Seed = 4 };
        var centres = PredictionErrorProtocol.SelectCenters(Foreground(t1, 30), t1.SizeX, t1.SizeY, options);
        var metrics = MetricRegistry.Names.Select(n => MetricRegistry.Create(n)).ToArray();
        var reports = new List<PredictionErrorProgress>();
        var results = PredictionErrorProtocol.Run(metrics, t1, pd, centres, options, new SyncProgress<PredictionErrorProgress>(p =>
        {
            // Metrics report from their worker threads.
            lock (reports)
            {
                reports.Add(p);
            }
        }));
        Assert.Equal(metrics.Length, results.Count);
        var maxError = (25 * 25) - 9;
        foreach (var r in results)
        {
            Assert.Equal(40, r.Count);
            Assert.Equal(centres, r.Errors.Select(e => e.Center));
            Assert.All(r.Errors, e => Assert.InRange(e.Error, 0, maxError));
            Assert.All(r.Errors, e => Assert.Equal(e.Rank - 1, e.Error));

            // A hit means the predicted offset lies in the 3x3 region (the converse fails on ties, ranked pessimistically).
            Assert.All(r.Errors.Where(e => e.Error == 0), e => Assert.True(e.BestOffset.ChebyshevLength <= 1, e.ToString()));

            Console.WriteLine(r);
        }

        // T1 and PD are exactly aligned; their contrast differs (CSF dark in T1, bright in PD), so the measures that
        // allow a non-linear or inverted relation find most centres, and the signed global NCC does worst.
        foreach (var r in results.Where(r => r.Metric != "NCC"))
        {
            Assert.True(r.HitRate > 0.5, r.ToString());
            Assert.True(r.MedianError < 5, r.ToString());
        }

        var ncc = results.Single(r => r.Metric == "NCC");
        Assert.True(results.Where(r => r.Metric != "NCC").All(r => r.MeanError < ncc.MeanError), "NCC should be the worst on T1 vs PD");

        Assert.Equal(metrics.Length * 40, reports.Count);
        Assert.Equal(100, reports.Max(p => p.PercentComplete), 9);
    }

    [Fact]
    public void MovingImageShiftedByThreeVoxelsIsFoundWhenTheTrueRegionIsWrong()
    {
        // A textured image and the same image shifted: the metric peaks at the shift, outside the 3x3 region,
        // so the protocol (which assumes alignment) reports a miss and the best offset reveals the shift.
        var random = new Random(11);
        const int size = 64;
        var voxels = new float[size * size];
        for (var i = 0; i < voxels.Length; i++)
        {
            voxels[i] = random.Next(0, 256);
        }

        var shifted = new float[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                shifted[(y * size) + x] = voxels[(y * size) + Math.Clamp(x - 3, 0, size - 1)];
            }
        }

        var fixedImage = new MedicalImage(voxels, size, size, 1);
        var moving = new MedicalImage(shifted, size, size, 1);
        var options = new PredictionErrorOptions { Count = 5, SearchRadius = 6, PatchSize = 9 };
        var centres = PredictionErrorProtocol.SelectCenters(Enumerable.Repeat(true, size * size).ToArray(), size, size, options);
        var result = PredictionErrorProtocol.Run([new NormalizedCrossCorrelationMetric()], fixedImage, moving, centres, options)[0];
        Assert.All(result.Errors, e => Assert.Equal(new SearchOffset(3, 0), e.BestOffset));
        Assert.All(result.Errors, e => Assert.True(e.Error >= 1));
        Assert.Equal(0, result.HitRate);

        var aligned = PredictionErrorProtocol.Run([new NormalizedCrossCorrelationMetric()], fixedImage, fixedImage, centres, options)[0];
        Assert.Equal(1, aligned.HitRate);
        Assert.Equal(0, aligned.MeanError);
    }

    [Fact]
    public void VolumesAreSearchedWithinTheSliceOfEachCentre()
    {
        // Three different random slices; the moving volume equals the fixed one, so every query is a hit only if
        // each is searched in its own slice.
        var random = new Random(2);
        const int size = 40;
        var voxels = new float[size * size * 3];
        for (var i = 0; i < voxels.Length; i++)
        {
            voxels[i] = random.Next(0, 100);
        }

        var volume = new MedicalImage(voxels, size, size, 3);
        var options = new PredictionErrorOptions { Count = 12, SearchRadius = 5, PatchSize = 7 };
        var mask = Enumerable.Range(0, voxels.Length).Select(i => i / (size * size) != 1).ToArray();
        var centres = PredictionErrorProtocol.SelectCenters(mask, size, size, options, sizeZ: 3);
        Assert.Contains(centres, c => c.Z == 0);
        Assert.Contains(centres, c => c.Z == 2);
        Assert.DoesNotContain(centres, c => c.Z == 1);
        foreach (var result in PredictionErrorProtocol.Run([.. MetricRegistry.Names.Select(n => MetricRegistry.Create(n))], volume, volume, centres, options))
        {
            Assert.Equal(1, result.HitRate);
            Assert.All(result.Errors, e => Assert.Equal(SearchOffset.Zero, e.BestOffset));
        }
    }

    [Fact]
    public void MetricNeedingAnotherPatchSizeIsRejected()
    {
        var image = new MedicalImage(new float[100 * 100], 100, 100, 1);
        var options = new PredictionErrorOptions { Count = 1, SearchRadius = 5 };
        var e = Assert.Throws<ArgumentException>(() =>
            PredictionErrorProtocol.Run([new FixedSizeMetric()], image, image, [new PatchCenter(50, 50)], options));
        Assert.Contains("15x15", e.Message);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed class FixedSizeMetric : ISimilarityMetric
    {
        public string Name => "Learned";

        public int? RequiredPatchSize => 15;

        public void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void ScoreSearchWindows(MedicalImage fixedImage, MedicalImage movingImage, IReadOnlyList<PatchCenter> centres, int patchSize, int radius, Span<float> scores, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
