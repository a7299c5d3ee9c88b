using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Similarity;

/// <summary>Values of the measures on hand-made patches, degenerate patches and the registry.</summary>
public class MetricDefinitionTests
{
    private static readonly IntensityRange Range = new(0, 255);

    private static float[] Ramp(int n, Func<int, float> f) => [.. Enumerable.Range(0, n).Select(f)];

    private static double Score(ClassicalSimilarityMetric metric, float[] a, float[] b) => metric.ScorePatches(a, b, 5, Range, Range);

    [Fact]
    public void NccIsPearsonCorrelation()
    {
        var a = Ramp(25, i => (i * 7) % 11);
        Assert.Equal(1.0, Score(new NormalizedCrossCorrelationMetric(), a, [.. a.Select(v => (3 * v) + 4)]), 12);
        Assert.Equal(-1.0, Score(new NormalizedCrossCorrelationMetric(), a, [.. a.Select(v => 100 - v)]), 12);

        var b = Ramp(25, i => (i * 3) % 7);
        var da = a.Select(v => (double)v).ToArray();
        var db = b.Select(v => (double)v).ToArray();
        var ma = da.Average();
        var mb = db.Average();
        var cov = da.Zip(db).Sum(p => (p.First - ma) * (p.Second - mb));
        var expected = cov / Math.Sqrt(da.Sum(v => (v - ma) * (v - ma)) * db.Sum(v => (v - mb) * (v - mb)));
        Assert.Equal(expected, Score(new NormalizedCrossCorrelationMetric(), a, b), 10);
    }

    [Fact]
    public void NmiOfAPatchWithItselfIsTwoAndMiIsItsEntropy()
    {
        var a = Ramp(25, i => (i * 37) % 256);
        Assert.Equal(2.0, Score(new NormalizedMutualInformationMetric(), a, a), 12);
        var counts = a.GroupBy(v => (int)(v / (255.0 / 32))).Select(g => (double)g.Count()).ToArray();
        var entropy = -counts.Sum(c => c / 25 * Math.Log(c / 25));
        Assert.Equal(entropy, Score(new MutualInformationMetric(), a, a), 10);
    }

    [Fact]
    public void DegeneratePatchesGiveTheDocumentedValues()
    {
        var flat = Ramp(25, _ => 40);
        var textured = Ramp(25, i => (i * 37) % 256);
        Assert.Equal(1.0, Score(new NormalizedMutualInformationMetric(), flat, flat));
        Assert.Equal(1.0, Score(new NormalizedMutualInformationMetric(), flat, textured), 12);
        Assert.Equal(0.0, Score(new MutualInformationMetric(), flat, textured), 12);
        Assert.Equal(0.0, Score(new NormalizedCrossCorrelationMetric(), flat, textured));
        Assert.Equal(0.0, Score(new NormalizedCrossCorrelationMetric(), textured, flat));
        Assert.Equal(0.0, Score(new LocalCrossCorrelationMetric(1), flat, textured));
        Assert.Equal(0.0, Score(new CorrelationRatioMetric(), textured, flat));
        Assert.Equal(0.0, Score(new CorrelationRatioMetric(), flat, textured));
        foreach (var name in MetricRegistry.Names)
        {
            var m = (ClassicalSimilarityMetric)MetricRegistry.Create(name, new ClassicalMetricOptions { LccWindowRadius = 1 });
            Assert.True(double.IsFinite(Score(m, flat, flat)), name);
            Assert.True(double.IsFinite(m.ScorePatches(flat, flat, 5, new IntensityRange(40, 40), new IntensityRange(40, 40))), name);
        }
    }

    [Fact]
    public void LccAveragesLocalCorrelationsAndSquaringForgivesInversion()
    {
        var a = Ramp(25, i => ((i * 37) % 23) + (i / 5 * 3));
        var inverted = a.Select(v => 200 - v).ToArray();
        Assert.Equal(1.0, Score(new LocalCrossCorrelationMetric(1), a, inverted), 12);
        Assert.Equal(-1.0, Score(new LocalCrossCorrelationMetric(1, squared: false), a, inverted), 12);

        // Only the left 3 columns are correlated: of the 9 windows, those touching other columns are not perfect.
        var b = Ramp(25, i => ((i * 11) % 17) + 3);
        var lcc = Score(new LocalCrossCorrelationMetric(1), a, b);
        Assert.InRange(lcc, 0, 0.999);
    }

    [Fact]
    public void CorrelationRatioIsOneForAFunctionOfTheFixedBinsAndDirectional()
    {
        // Fixed takes 4 distinct values; moving is a non-linear function of them.
        var f = Ramp(25, i => (i % 4) * 80);
        var m = f.Select(v => (float)((v - 120) * (v - 120) / 10)).ToArray();
        Assert.Equal(1.0, Score(new CorrelationRatioMetric(), f, m), 12);
        Assert.True(Score(new NormalizedCrossCorrelationMetric(), f, m) < 0.5);

        // Direction: moving given fixed differs from fixed given moving (m does not determine f).
        Assert.True(Score(new CorrelationRatioMetric(), m, f) < 0.999);
    }

    [Fact]
    public void QuantizerFollowsNumPyEdges()
    {
        var q = new Quantizer(0, 32, 32);
        Assert.Equal(0, q.Bin(0));
        Assert.Equal(1, q.Bin(1));
        Assert.Equal(0, q.Bin(0.999));
        Assert.Equal(31, q.Bin(31));
        Assert.Equal(31, q.Bin(32));
        Assert.Equal(31, q.Bin(1000));
        Assert.Equal(0, q.Bin(-5));
        var flat = new Quantizer(7, 7, 32);
        Assert.Equal(16, flat.Bin(7));
    }

    [Fact]
    public void RegistryIsCaseInsensitiveAndListsNamesOnError()
    {
        Assert.Equal(["NMI", "MI", "NCC", "LCC", "CorrelationRatio"], MetricRegistry.Names);
        Assert.IsType<NormalizedMutualInformationMetric>(MetricRegistry.Create("nmi"));
        Assert.IsType<CorrelationRatioMetric>(MetricRegistry.Create("correlationratio"));
        Assert.True(MetricRegistry.TryCreate(" lcc ", out var lcc));
        Assert.Equal("LCC", lcc.Name);
        Assert.False(MetricRegistry.TryCreate("SSD", out _));
        var e = Assert.Throws<UnknownMetricException>(() => MetricRegistry.Create("SSD"));
        Assert.Equal("SSD", e.MetricName);
        foreach (var name in MetricRegistry.Names)
        {
            Assert.Contains(name, e.Message);
        }

        var nmi = (NormalizedMutualInformationMetric)MetricRegistry.Create("NMI", new ClassicalMetricOptions { Binning = HistogramBinning.PerPatch(64) });
        Assert.Equal(64, nmi.Binning.Bins);
        Assert.Equal(IntensityRangeMode.PerPatch, nmi.Binning.Mode);
        Assert.Equal("NMI (64 bins over each patch's range)", nmi.ToString());
        Assert.Equal("NMI (32 bins over each image's range)", MetricRegistry.Create("NMI").ToString());
        Assert.Equal("LCC (5x5 box windows, squared)", MetricRegistry.Create("LCC").ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new NormalizedMutualInformationMetric(new HistogramBinning(1, IntensityRangeMode.Image)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MutualInformationMetric(HistogramBinning.Fixed(5, 5)));
    }
}
