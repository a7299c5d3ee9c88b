using DeepSim.Evaluation;
using DeepSim.Patches;
using Xunit;

namespace DeepSim.Tests.Evaluation;

/// <summary>Summary statistics and bootstrap intervals.</summary>
public class StatisticsTests
{
    private static PredictionErrorResult Result(params int[] errors) =>
        PredictionErrorResult.FromErrors("test", [.. errors.Select((e, i) => new PatchPredictionError(new PatchCenter(i, 0), e + 1, e, default, 0, 0))]);

    [Fact]
    public void SummaryMatchesHandComputedValues()
    {
        var r = Result(0, 0, 0, 1, 2, 3, 10, 40);
        Assert.Equal(8, r.Count);
        Assert.Equal(56 / 8.0, r.MeanError, 12);
        Assert.Equal(1.5, r.MedianError, 12);
        Assert.Equal(3 / 8.0, r.HitRate, 12);
        var mean = 7.0;
        var variance = new[] { 0, 0, 0, 1, 2, 3, 10, 40 }.Sum(v => (v - mean) * (v - mean)) / 7;
        Assert.Equal(Math.Sqrt(variance), r.StdError, 12);

        // NumPy: np.percentile([0,0,0,1,2,3,10,40], [75, 90, 95]) = [4.75, 19, 29.5]
        Assert.Equal(4.75, r.P75, 12);
        Assert.Equal(19, r.P90, 12);
        Assert.Equal(29.5, r.P95, 12);
        Assert.Equal(40, r.MaxError);
    }

    [Fact]
    public void BootstrapIsDeterministicAndBracketsTheEstimate()
    {
        var random = new Random(3);
        var errors = Enumerable.Range(0, 300).Select(_ => random.NextDouble() < 0.4 ? 0.0 : random.Next(1, 200)).ToArray();
        var a = BootstrapInterval.Compute(errors, 1000, seed: 9);
        var b = BootstrapInterval.Compute(errors, 1000, seed: 9);
        var c = BootstrapInterval.Compute(errors, 1000, seed: 10);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Mean, c.Mean);
        foreach (var ci in new[] { a.Mean, a.Median, a.Std, a.HitRate })
        {
            Assert.True(ci.Lower <= ci.Estimate && ci.Estimate <= ci.Upper, ci.ToString());
            Assert.True(ci.Upper > ci.Lower, ci.ToString());
        }

        // The mean's interval is close to +-1.96 standard errors.
        var se = a.Std.Estimate / Math.Sqrt(errors.Length);
        Assert.InRange(a.Mean.Upper - a.Mean.Lower, 2 * 1.96 * se * 0.8, 2 * 1.96 * se * 1.2);
    }

    [Fact]
    public void BootstrapOfAConstantSampleHasZeroWidth()
    {
        var s = BootstrapInterval.Compute([0.0, 0, 0, 0, 0], 100);
        Assert.Equal(new ConfidenceInterval(1, 1, 1), s.HitRate);
        Assert.Equal(new ConfidenceInterval(0, 0, 0), s.Mean);
    }
}
