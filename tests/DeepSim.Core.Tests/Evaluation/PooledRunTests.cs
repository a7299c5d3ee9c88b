using DeepSim.Evaluation;
using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Evaluation;

/// <summary>The protocol over several image pairs: count spreading, per-pair seeds, pooling and the pairs it leaves out.</summary>
public class PooledRunTests
{
    private const int Size = 48;

    private static ImagePair RandomPair(string name, int seed, int shift = 0)
    {
        var random = new Random(seed);
        var fixedVoxels = new float[Size * Size];
        for (var i = 0; i < fixedVoxels.Length; i++)
        {
            fixedVoxels[i] = random.Next(0, 256);
        }

        var moving = new float[Size * Size];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                // The fixed content shifted by `shift` voxels along x.
                moving[(y * Size) + x] = fixedVoxels[(y * Size) + Math.Clamp(x - shift, 0, Size - 1)];
            }
        }

        return new ImagePair(name, new MedicalImage(fixedVoxels, Size, Size, 1), new MedicalImage(moving, Size, Size, 1));
    }

    private static ISimilarityMetric[] Metrics() => [MetricRegistry.Create("NMI"), MetricRegistry.Create("NCC")];

    [Theory]
    [InlineData(10, 3, new[] { 4, 3, 3 })]
    [InlineData(2, 3, new[] { 1, 1, 0 })]
    [InlineData(9, 1, new[] { 9 })]
    public void CountIsSpreadWithTheRemainderOnTheFirstPairs(int count, int pairs, int[] expected) =>
        Assert.Equal(expected, PredictionErrorRunOptions.SplitCount(count, pairs));

    [Fact]
    public void PairSeedsStepBy7919FromTheBaseSeedAndWrap()
    {
        Assert.Equal(5, PredictionErrorRunOptions.PairSeed(5, 0));
        Assert.Equal(5 + (2 * 7919), PredictionErrorRunOptions.PairSeed(5, 2));
        Assert.Equal(unchecked(int.MaxValue + 7919), PredictionErrorRunOptions.PairSeed(int.MaxValue, 1));
    }

    [Fact]
    public void PooledRunEqualsThePerPairProtocolWithDerivedSeedsConcatenated()
    {
        ImagePair[] pairs = [RandomPair("a", 1), RandomPair("b", 2, shift: 2), RandomPair("c", 3)];
        var protocol = new PredictionErrorOptions { Count = 11, SearchRadius = 5, PatchSize = 7, Seed = 42 };
        var region = new RegionOptions { Kind = RegionKind.All };
        var run = PredictionErrorProtocol.Run(Metrics(), pairs, new PredictionErrorRunOptions { Protocol = protocol, Region = region });

        Assert.Empty(run.Skipped);
        Assert.Equal(["NMI", "NCC"], run.Results.Select(r => r.Metric));

        // The same numbers built by hand from the one-pair primitives, as Measure-PredictionError used to.
        var counts = new[] { 4, 4, 3 };
        var expected = Metrics().Select(_ => new List<PatchPredictionError>()).ToArray();
        for (var i = 0; i < pairs.Length; i++)
        {
            var candidates = RegionOfInterest.All(pairs[i].Fixed).Centers(protocol.Margin);
            var centres = PredictionErrorProtocol.SelectCenters(candidates, Size, Size, counts[i], 42 + (7919 * i), protocol.Margin);
            var one = PredictionErrorProtocol.Run(Metrics(), pairs[i].Fixed, pairs[i].Moving, centres, protocol with { Count = centres.Count });
            for (var k = 0; k < one.Count; k++)
            {
                expected[k].AddRange(one[k].Errors);
            }
        }

        for (var k = 0; k < run.Results.Count; k++)
        {
            var result = run.Results[k];
            Assert.Equal(expected[k], result.Errors);
            Assert.Equal(11, result.Count);
            Assert.Equal(protocol with { Count = 11 }, result.Options);
            Assert.Equal("3 image pairs", result.Source);
            Assert.Equal(PredictionErrorResult.FromErrors(result.Metric, expected[k]).MeanError, result.MeanError);
        }

        // Pair b is shifted by 2 voxels: NMI's best offsets there are (2, 0), elsewhere (0, 0).
        var nmi = run.Results[0].Errors;
        Assert.All(nmi.Take(4).Concat(nmi.Skip(8)), e => Assert.Equal(SearchOffset.Zero, e.BestOffset));
        Assert.All(nmi.Skip(4).Take(4), e => Assert.Equal(new SearchOffset(2, 0), e.BestOffset));
    }

    [Fact]
    public void OnePairIsNamedAfterItselfAndSourceNameOverrides()
    {
        var options = new PredictionErrorRunOptions { Protocol = new() { Count = 3, SearchRadius = 4, PatchSize = 5 }, Region = new() { Kind = RegionKind.All } };
        Assert.All(PredictionErrorProtocol.Run(Metrics(), [RandomPair("slice 7", 5)], options).Results, r => Assert.Equal("slice 7", r.Source));
        Assert.All(PredictionErrorProtocol.Run(Metrics(), [RandomPair("slice 7", 5)], options with { SourceName = "held out" }).Results, r => Assert.Equal("held out", r.Source));
    }

    [Fact]
    public void PairsThatCannotBeMeasuredAreListedAndTheOthersStillPooled()
    {
        var good = RandomPair("good", 1);
        var small = new MedicalImage(new float[10 * 10], 10, 10, 1);
        var mismatched = new ImagePair("mismatched", good.Fixed, small);
        var tiny = new ImagePair("tiny", small, small);
        var protocol = new PredictionErrorOptions { Count = 8, SearchRadius = 5, PatchSize = 7, Seed = 3 };
        var run = PredictionErrorProtocol.Run(Metrics(), [good, mismatched, tiny, good], new PredictionErrorRunOptions { Protocol = protocol, Region = new() { Kind = RegionKind.All } });

        Assert.Equal([PredictionErrorSkipReason.ImageGeometryMismatch, PredictionErrorSkipReason.EmptyRegion], run.Skipped.Select(s => s.Reason));
        Assert.Equal(["mismatched", "tiny"], run.Skipped.Select(s => s.Pair.Name));
        Assert.All(run.Results, r => Assert.Equal(4, r.Count));

        var masked = PredictionErrorProtocol.Run(Metrics(), [good], new PredictionErrorRunOptions { Protocol = protocol, Region = new() { Mask = small } });
        Assert.Equal(PredictionErrorSkipReason.MaskMismatch, Assert.Single(masked.Skipped).Reason);
        Assert.Empty(masked.Results);

        var tooMany = PredictionErrorProtocol.Run(Metrics(), [good], new PredictionErrorRunOptions { Protocol = protocol with { Count = 10_000 }, Region = new() { Kind = RegionKind.All } });
        var skip = Assert.Single(tooMany.Skipped);
        Assert.Equal(PredictionErrorSkipReason.TooFewCenters, skip.Reason);
        Assert.StartsWith("memory: Only 1024 of 1024 candidate", skip.Message);

        var refused = PredictionErrorProtocol.Run(Metrics(), [good], new PredictionErrorRunOptions { Protocol = protocol with { Tolerance = 5 }, Region = new() { Kind = RegionKind.All } });
        Assert.Equal(PredictionErrorSkipReason.InvalidSetup, Assert.Single(refused.Skipped).Reason);
    }

    [Fact]
    public void ProgressCoversEveryPairAndEndsAtOneHundredPercent()
    {
        var reports = new List<PredictionErrorRunProgress>();
        var options = new PredictionErrorRunOptions { Protocol = new() { Count = 6, SearchRadius = 4, PatchSize = 5 }, Region = new() { Kind = RegionKind.All } };
        PredictionErrorProtocol.Run(Metrics(), [RandomPair("a", 1), RandomPair("b", 2)], options, new LockedProgress<PredictionErrorRunProgress>(reports));
        Assert.Equal(["a", "b"], reports.Select(r => r.Pair).Distinct());
        Assert.All(reports, r => Assert.InRange(r.PercentComplete, 0, 100));
        Assert.Equal(100, reports.Max(r => r.PercentComplete), 6);
    }

    [Fact]
    public void CancellationStopsTheRun()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var options = new PredictionErrorRunOptions { Protocol = new() { Count = 2, SearchRadius = 4, PatchSize = 5 }, Region = new() { Kind = RegionKind.All } };
        Assert.ThrowsAny<OperationCanceledException>(() => PredictionErrorProtocol.Run(Metrics(), [RandomPair("a", 1)], options, cancellationToken: cancelled.Token));
    }

    private sealed class LockedProgress<T>(List<T> sink) : IProgress<T>
    {
        public void Report(T value)
        {
            lock (sink)
            {
                sink.Add(value);
            }
        }
    }
}
