using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Similarity;

/// <summary>The fast search-window paths against the pair-by-pair reference, on real images.</summary>
public class SearchWindowTests
{
    public static TheoryData<string> MetricCases() =>
    [
        "NMI", "MI", "NCC", "LCC", "CorrelationRatio", "NMI/PerPatch", "MI/PerPatch", "CorrelationRatio/PerPatch", "NMI/Fixed", "LCC/Signed3", "MI/PerPatchOnTheFly",
    ];

    internal static ClassicalSimilarityMetric Create(string spec, int threads = 0)
    {
        var parts = spec.Split('/');
        if (parts.Length > 1 && parts[1] == "PerPatchOnTheFly")
        {
            // Per-patch bins quantised per candidate instead of from the per-position table (the big-3D fallback).
            return new MutualInformationMetric(HistogramBinning.PerPatch()) { PerPatchTableLimitBytes = 0, MaxDegreeOfParallelism = threads };
        }

        var options = new ClassicalMetricOptions
        {
            MaxDegreeOfParallelism = threads,
            Binning = parts.Length > 1 && parts[1] == "PerPatch" ? HistogramBinning.PerPatch()
                : parts.Length > 1 && parts[1] == "Fixed" ? HistogramBinning.Fixed(20, 200, 16)
                : HistogramBinning.Default,
            LccSquared = !(parts.Length > 1 && parts[1] == "Signed3"),
            LccWindowRadius = parts.Length > 1 && parts[1] == "Signed3" ? 1 : 2,
        };
        return (ClassicalSimilarityMetric)MetricRegistry.Create(parts[0], options);
    }

    internal static PatchCenter[] Centres(MedicalImage image, int count, int margin, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => new PatchCenter(random.Next(margin, image.SizeX - margin), random.Next(margin, image.SizeY - margin)))];
    }

    [SkippableTheory]
    [MemberData(nameof(MetricCases))]
    public void FastPathEqualsReferenceOnRealImages(string spec)
    {
        var (t1, pd) = GreyPng.T1AndPd();
        const int radius = 8;
        const int patch = 17;
        var centres = Centres(t1, 12, radius + (patch / 2), 7);
        var metric = Create(spec);
        var w = (2 * radius) + 1;
        var fast = new float[centres.Length * w * w];
        var reference = new float[fast.Length];
        metric.ScoreSearchWindows(t1, pd, centres, patch, radius, fast);
        SearchWindowScoring.ScoreByPairs(metric, t1, pd, centres, patch, radius, reference);
        for (var i = 0; i < fast.Length; i++)
        {
            Assert.True(Math.Abs(fast[i] - reference[i]) <= 1e-6 * Math.Max(1, Math.Abs(reference[i])), $"{spec} score {i}: fast {fast[i]} reference {reference[i]}");
        }

        // Informative: the scores vary across the window and none is NaN.
        Assert.DoesNotContain(fast, float.IsNaN);
        Assert.True(fast.Distinct().Count() > fast.Length / 10, $"{spec} gave too few distinct scores");
    }

    [SkippableTheory]
    [MemberData(nameof(MetricCases))]
    public void OutputDoesNotDependOnThreadCount(string spec)
    {
        var (t1, pd) = GreyPng.T1AndPd();
        var centres = Centres(t1, 9, 20, 3);
        var one = new float[centres.Length * 121];
        var many = new float[one.Length];
        Create(spec, threads: 1).ScoreSearchWindows(t1, pd, centres, 17, 5, one);
        Create(spec, threads: 4).ScoreSearchWindows(t1, pd, centres, 17, 5, many);
        Assert.Equal(one, many);
    }

    [SkippableFact]
    public void AlignedImagesPeakAtZeroOffsetForSameModality()
    {
        var (t1, _) = GreyPng.T1AndPd();
        var centres = new[] { new PatchCenter(90, 100), new PatchCenter(70, 120) };
        foreach (var name in MetricRegistry.Names)
        {
            var scores = new float[centres.Length * 81];
            MetricRegistry.Create(name).ScoreSearchWindows(t1, t1, centres, 17, 4, scores);
            for (var q = 0; q < centres.Length; q++)
            {
                var block = scores.AsSpan(q * 81, 81);
                var best = block.ToArray().Max();
                Assert.Equal(best, block[40]);
            }
        }
    }

    [Fact]
    public void ThreeDimensionalImagesUseTheCentreSlice()
    {
        var random = new Random(5);
        var voxels = new float[30 * 30 * 3];
        for (var i = 0; i < voxels.Length; i++)
        {
            voxels[i] = random.Next(0, 50);
        }

        var volume = new MedicalImage(voxels, 30, 30, 3);
        var centres = new[] { new PatchCenter(15, 15, 2), new PatchCenter(14, 16, 1) };
        foreach (var name in MetricRegistry.Names)
        {
            var metric = MetricRegistry.Create(name);
            var fast = new float[2 * 49];
            var reference = new float[2 * 49];
            metric.ScoreSearchWindows(volume, volume, centres, 7, 3, fast);
            SearchWindowScoring.ScoreByPairs(metric, volume, volume, centres, 7, 3, reference);
            for (var i = 0; i < fast.Length; i++)
            {
                Assert.True(Math.Abs(fast[i] - reference[i]) <= 1e-6, $"{name} {i}: {fast[i]} vs {reference[i]}");
            }

            Assert.Equal(fast[24], fast.AsSpan(0, 49).ToArray().Max());
        }
    }

    [Fact]
    public void CentreTooCloseToTheBorderIsRejected()
    {
        var image = new MedicalImage(new float[40 * 40], 40, 40, 1);
        var scores = new float[81];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new NormalizedCrossCorrelationMetric().ScoreSearchWindows(image, image, [new PatchCenter(10, 20)], 17, 4, scores));
        Assert.Contains("(10,20)", e.Message);
    }

    [Fact]
    public void ShortScoreBufferIsRejected()
    {
        var image = new MedicalImage(new float[40 * 40], 40, 40, 1);
        Assert.Throws<ArgumentException>(() =>
            new NormalizedCrossCorrelationMetric().ScoreSearchWindows(image, image, [new PatchCenter(20, 20)], 7, 4, new float[80]));
    }

    [Fact]
    public void CancellationStopsTheSearch()
    {
        var image = new MedicalImage(new float[40 * 40], 40, 40, 1);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new NormalizedMutualInformationMetric().ScoreSearchWindows(image, image, [new PatchCenter(20, 20)], 7, 4, new float[81], null, cts.Token));
    }

    [Fact]
    public void ProgressCountsEveryQuery()
    {
        var image = new MedicalImage([.. Enumerable.Range(0, 1600).Select(i => (float)(i % 37))], 40, 40, 1);
        var reports = new System.Collections.Concurrent.ConcurrentBag<int>();
        var progress = new SynchronousProgress(reports.Add);
        var centres = Enumerable.Range(0, 10).Select(i => new PatchCenter(15 + i, 20)).ToArray();
        new LocalCrossCorrelationMetric().ScoreSearchWindows(image, image, centres, 7, 3, new float[10 * 49], progress);
        Assert.Equal(Enumerable.Range(1, 10), reports.Order());
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
