using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Runtime;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepSim.Tests.Learning;

/// <summary>
/// Every search-window scoring plan against the per-candidate reference on data the tests make themselves (so they run
/// without ../shared), at 1 and 2 libtorch threads; the self-check's choice; and the spot check's fallback when a plan
/// computes wrong scores. The ONEDNN_MAX_CPU_ISA variants run in child processes (tests/pester/ScoringEquivalence.Tests.ps1),
/// since oneDNN reads that variable once per process.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class ScoringEquivalenceTests(ITestOutputHelper output)
{
    private const int Patch = 17;

    // Near: neighbours 1 px apart (overlapping windows, several queries per batch); far: opposite corners (one large box).
    private static readonly PatchCenter[] Centres = [new(40, 40), new(41, 40), new(40, 41), new(42, 43), new(100, 90), new(35, 95), new(95, 35)];

    [Theory]
    [InlineData(ScoringKernels.Convolution, 1)]
    [InlineData(ScoringKernels.Convolution, 2)]
    [InlineData(ScoringKernels.Gemm, 1)]
    [InlineData(ScoringKernels.Gemm, 2)]
    [InlineData(ScoringKernels.Auto, 1)]
    [InlineData(ScoringKernels.Auto, 2)]
    public void EveryPlanEqualsTheReferenceAtOneAndTwoThreads(ScoringKernels plan, int threads)
    {
        var (fixedImage, movingImage) = ScoringGuard.SyntheticPair(136, 128, seed: 11);
        var previous = WithThreads(threads);
        try
        {
            foreach (var (normalization, activation) in new[] { (InputNormalization.ImageRange, ActivationKind.Sigmoid), (InputNormalization.PatchZScore, ActivationKind.Relu) })
            {
                var model = ScoringGuard.SyntheticModel(normalization, activation, seed: 5);
                foreach (var radius in new[] { 2, 9, 20 })
                {
                    var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
                    var fast = new float[Centres.Length * positions];
                    var reference = new float[fast.Length];
                    model.Scoring = new ScoringOptions { Kernels = plan };
                    Assert.True(model.QueriesPerBatch(radius) > 1, "one query per batch would not exercise batched kernels");
                    model.ScoreSearchWindows(fixedImage, movingImage, Centres, Patch, radius, fast);
                    model.ScoreSearchWindowsReference(fixedImage, movingImage, Centres, Patch, radius, reference);
                    var scale = Math.Max(1, reference.Max(Math.Abs));
                    var diff = fast.Zip(reference, (x, y) => Math.Abs(x - y)).Max();
                    output.WriteLine($"{plan} {threads} thread(s) {normalization}/{activation} R={radius}: max |fast - reference| = {diff:G3}, scale {scale:G3}");
                    Assert.True(reference.Distinct().Count() > positions, "scores are nearly constant: the comparison would prove nothing");
                    Assert.True(diff <= 1e-4 * scale, $"{plan}, {threads} thread(s), R={radius}: differs from the reference by {diff} (scale {scale})");
                }
            }
        }
        finally
        {
            set_num_threads(previous);
        }
    }

    [Fact]
    public void SelfCheckUsesTheFirstPlanThatMatchesTheReferenceOnThisMachine()
    {
        var result = ScoringSelfCheck.Current;
        output.WriteLine(result.ToString());
        var convolution = ScoringSelfCheck.MeasureDeviation(ScoringKernels.Convolution);
        var gemm = ScoringSelfCheck.MeasureDeviation(ScoringKernels.Gemm);
        output.WriteLine($"deviation now: Convolution {convolution:G3}, Gemm {gemm:G3}");
        var expected = convolution <= ScoringGuard.Tolerance ? ScoringKernels.Convolution : gemm <= ScoringGuard.Tolerance ? ScoringKernels.Gemm : ScoringKernels.Reference;
        Assert.Equal(expected, result.Plan);
        Assert.Equal(expected != ScoringKernels.Reference, result.FastPathVerified);
        Assert.StartsWith("Convolution:", result.Findings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void SelfCheckFallsBackAndWarnsOnceWhenAPlanIsWrong()
    {
        var guard = new ScoringGuard(plan => plan == ScoringKernels.Convolution ? 0.37 : 2e-7);
        Assert.Equal(ScoringKernels.Gemm, guard.Current.Plan);
        Assert.True(guard.Current.FastPathVerified);
        Assert.Contains("WRONG", guard.Current.Findings[0], StringComparison.Ordinal);
        var warning = guard.TakeWarning();
        Assert.NotNull(warning);
        Assert.Contains("Gemm plan instead of Convolution", warning, StringComparison.Ordinal);
        Assert.Null(guard.TakeWarning());

        var broken = new ScoringGuard(_ => double.NaN);
        Assert.Equal(ScoringKernels.Reference, broken.Current.Plan);
        Assert.False(broken.Current.FastPathVerified);
    }

    [Fact]
    public void SpotCheckCatchesAWrongBatchRescoresCorrectlyAndWarnsOnce()
    {
        var (fixedImage, movingImage) = ScoringGuard.SyntheticPair(120, 112, seed: 3);
        var model = ScoringGuard.SyntheticModel(InputNormalization.PatchZScore, ActivationKind.Relu, seed: 9);
        var guard = new ScoringGuard(_ => 0); // the self-check passes: only the spot check can notice
        const int radius = 6;
        var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
        var scores = new float[Centres.Length * positions];
        var reference = new float[scores.Length];

        // A faulty kernel: the Convolution plan's batches come out shifted by 0.5 (the size of the real defect's errors).
        var scorer = new SearchWindowScorer(model, new ScoringOptions(), guard)
        {
            CorruptBatch = (plan, values) =>
            {
                if (plan == ScoringKernels.Convolution)
                {
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] += 0.5f;
                    }
                }
            },
        };
        var used = scorer.Score(fixedImage, movingImage, Centres.Take(5).ToArray(), Patch, radius, scores.AsSpan(0, 5 * positions), null, default);
        model.ScoreSearchWindowsReference(fixedImage, movingImage, Centres.Take(5).ToArray(), Patch, radius, reference.AsSpan(0, 5 * positions));

        Assert.Equal(ScoringKernels.Gemm, used);
        Assert.Equal(ScoringKernels.Gemm, guard.Current.Plan);
        var diff = scores.Take(5 * positions).Zip(reference, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(diff <= 1e-4 * Math.Max(1, reference.Max(Math.Abs)), $"rescored batch differs from the reference by {diff}");
        var warning = guard.TakeWarning();
        Assert.NotNull(warning);
        Assert.Contains("full forward passes", warning, StringComparison.Ordinal);
        Assert.Null(guard.TakeWarning());

        // Without the spot check the corruption goes through: the check above is what caught it.
        var unchecked_ = new SearchWindowScorer(model, new ScoringOptions { SpotCheck = false }, new ScoringGuard(_ => 0)) { CorruptBatch = scorer.CorruptBatch };
        var wrong = new float[5 * positions];
        unchecked_.Score(fixedImage, movingImage, Centres.Take(5).ToArray(), Patch, radius, wrong, null, default);
        Assert.True(wrong.Zip(reference, (x, y) => Math.Abs(x - y)).Max() > 0.4);
    }

    [Fact]
    public void BFloat16FindsTheSameBestCandidateOnMostQueriesOfSelfMadeData()
    {
        var (fixedImage, movingImage) = ScoringGuard.SyntheticPair(136, 128, seed: 21);
        var model = ScoringGuard.SyntheticModel(InputNormalization.ImageRange, ActivationKind.Sigmoid, seed: 13);
        const int radius = 9;
        var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
        var f32 = new float[Centres.Length * positions];
        var bf16 = new float[f32.Length];
        model.ScoreSearchWindows(fixedImage, movingImage, Centres, Patch, radius, f32);
        model.Precision = ScoringPrecision.BFloat16;
        model.ScoreSearchWindows(fixedImage, movingImage, Centres, Patch, radius, bf16);
        var scale = Math.Max(1, f32.Max(Math.Abs));
        var diff = f32.Zip(bf16, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"bfloat16: max |diff| {diff:G3} (scale {scale:G3})");
        Assert.True(diff <= 5e-2 * scale, $"bfloat16 differs from float32 by {diff} (scale {scale})");
    }

    private static int WithThreads(int threads)
    {
        TorchRuntime.EnsureInitialized();
        var previous = get_num_threads();
        set_num_threads(threads);
        Assert.Equal(threads, get_num_threads());
        return previous;
    }
}

/// <summary>Tests that change libtorch's process-wide thread count run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "libtorch thread count";
}
