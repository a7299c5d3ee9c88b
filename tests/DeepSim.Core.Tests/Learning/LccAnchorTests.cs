using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The LCC-anchored two-branch CNN (<see cref="FeatureScoreAnchor.Lcc"/>) on self-made data: the training crops' LCC
/// table against the LCC metric itself, the anchored search-window path against scoring every pair, and the model
/// file (current version round trip; a version 3 file loads as a cosine-only model).
/// </summary>
public sealed class LccAnchorTests : IDisposable
{
    private const int Patch = 9;
    private readonly string _tempFolder = Directory.CreateTempSubdirectory("deepsim-anchor-").FullName;

    private static readonly FeatureTrainingOptions Tiny = FeatureSimilarityTests.Tiny with { Anchor = FeatureScoreAnchor.Lcc };

    public void Dispose() => Directory.Delete(_tempFolder, recursive: true);

    [Fact]
    public void CropScoresEqualTheLccMetricOnEveryPatchPair()
    {
        const int side = 21, radius = 2;
        var rng = new Random(3);
        var f = Enumerable.Range(0, side * side).Select(_ => (float)rng.NextDouble()).ToArray();
        var m = f.Select(v => (float)(Math.Sin(5 * v) + (0.3 * rng.NextDouble()))).ToArray();
        // A flat block in each crop: windows inside it have no defined coefficient and count 0, as in the metric.
        for (var y = 2; y < 10; y++)
        {
            for (var x = 3; x < 11; x++)
            {
                f[(y * side) + x] = 0.25f;
                m[((y + 5) * side) + x + 6] = -1f;
            }
        }

        var g = side - Patch + 1;
        int[] queries = [0, 7, (3 * g) + 5, (g * g) - 1];
        var scores = LccAnchor.CropScores(f, m, side, Patch, radius, queries);
        Assert.Equal(queries.Length * g * g, scores.Length);
        var lcc = new LocalCrossCorrelationMetric(radius, squared: true);
        var range = new IntensityRange(-1, 1);
        for (var qi = 0; qi < queries.Length; qi++)
        {
            var fixedPatch = Cut(f, side, queries[qi] % g, queries[qi] / g);
            for (var c = 0; c < g * g; c++)
            {
                var expected = lcc.ScorePatches(fixedPatch, Cut(m, side, c % g, c / g), Patch, range, range);
                Assert.True(Math.Abs(expected - scores[(qi * g * g) + c]) < 2e-5, $"query {queries[qi]}, candidate {c}: {scores[(qi * g * g) + c]} vs LCC {expected}");
            }
        }

        // The flat block gave all-zero (flat) window vectors, so that case was exercised.
        var windows = LccAnchor.WindowVectors(f, side, radius);
        Assert.Contains(Enumerable.Range(0, windows.Length / 25), w => windows.AsSpan(w * 25, 25).IndexOfAnyExcept(0f) < 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => LccAnchor.CropScores(f, m, side, Patch, radius, [g * g]));
    }

    [Fact]
    public void AnchoredModelTrainsAndItsSearchEqualsPerPairScoring()
    {
        var train = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 1);
        var a = FeatureSimilarityTrainer.Train([train], Tiny);
        var b = FeatureSimilarityTrainer.Train([train], Tiny);
        Assert.Equal(a.AnchorWeight, b.AnchorWeight);
        Assert.Equal(a.FixedLayers[0].Weights, b.FixedLayers[0].Weights);
        Assert.Equal(FeatureScoreAnchor.Lcc, a.Anchor);
        Assert.True(a.AnchorWeight > 0 && a.AnchorWeight != Tiny.AnchorInitialWeight, $"anchor weight {a.AnchorWeight}");
        // Chance of the in-crop softmax: ln(24^2) ~ 6.36.
        var chance = Math.Log(Math.Pow(Tiny.CropSize - Patch + 1, 2));
        Assert.True(a.History[^1].TrainLoss < chance - 0.5, $"final loss {a.History[^1].TrainLoss:F3} is not below chance {chance:F3}");
        Assert.Contains("x LCC", a.ToString());

        var pair = FeatureSimilarityTests.SyntheticPair(48, 44, 2, seed: 2);
        PatchCenter[] centres = [new(12, 12, 0), new(30, 25, 1), new(24, 22, 1)];
        const int radius = 5;
        var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
        var fast = new float[centres.Length * positions];
        var naive = new float[fast.Length];
        a.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, radius, fast);
        SearchWindowScoring.ScoreByPairs(a, pair.Fixed, pair.Moving, centres, Patch, radius, naive);

        // The anchored score is the cosine of the same networks plus the weight times the LCC metric's search.
        var cosineOnly = new FeatureSimilarityModel("cos", Patch, a.FixedLayers, a.MovingLayers, a.Options with { Anchor = FeatureScoreAnchor.None }, a.History, 1, a.CreatedUtc);
        var cos = new float[fast.Length];
        var lcc = new float[fast.Length];
        cosineOnly.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, radius, cos);
        new LocalCrossCorrelationMetric().ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, radius, lcc);
        for (var i = 0; i < fast.Length; i++)
        {
            Assert.True(Math.Abs(fast[i] - naive[i]) < 1e-4, $"candidate {i}: fast {fast[i]} vs per-pair {naive[i]}");
            Assert.Equal(cos[i] + ((float)a.AnchorWeight * lcc[i]), fast[i], 5);
        }

        Assert.Throws<ArgumentException>(() => new FeatureSimilarityModel("bad", Patch, a.FixedLayers, a.MovingLayers, a.Options with { Anchor = FeatureScoreAnchor.None }, a.History, 1, a.CreatedUtc, 0.5));
    }

    [Fact]
    public void AnchoredModelFileRoundTripsAndVersionThreeLoadsAsCosineOnly()
    {
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 4);
        var model = FeatureSimilarityTrainer.Train([pair], Tiny with { Epochs = 1, StepsPerEpoch = 2 }, name: "anchored");
        var path = Path.Combine(_tempFolder, "anchored.dsim");
        ModelFile.Save(model, path);
        var loaded = Assert.IsType<FeatureSimilarityModel>(ModelFile.Load(path));
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(BitConverter.DoubleToInt64Bits(model.AnchorWeight), BitConverter.DoubleToInt64Bits(loaded.AnchorWeight));
        Assert.Equal(model.FixedLayers[^1].Weights, loaded.FixedLayers[^1].Weights);
        PatchCenter[] centres = [new(20, 20), new(40, 35)];
        var before = new float[2 * 81];
        var after = new float[2 * 81];
        model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, before);
        loaded.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, after);
        Assert.Equal(before, after);

        // The same file labelled version 3 (before the anchor existed) loads as the cosine-only model it would have been.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(ModelFile.CurrentVersion, BitConverter.ToInt32(bytes, 4));
        var body = bytes.AsSpan(0, bytes.Length - 32).ToArray();
        BitConverter.GetBytes(3).CopyTo(body, 4);
        var v3 = Path.Combine(_tempFolder, "v3.dsim");
        File.WriteAllBytes(v3, [.. body, .. System.Security.Cryptography.SHA256.HashData(body)]);
        var old = Assert.IsType<FeatureSimilarityModel>(ModelFile.Load(v3));
        Assert.Equal(FeatureScoreAnchor.None, old.Anchor);
        Assert.Equal(0, old.AnchorWeight);
        var cosine = new float[before.Length];
        old.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, cosine);
        Assert.All(cosine, s => Assert.InRange(s, -1.0001f, 1.0001f));
        Assert.NotEqual(before, cosine);
    }

    private static float[] Cut(float[] image, int side, int x0, int y0)
    {
        var patch = new float[Patch * Patch];
        for (var y = 0; y < Patch; y++)
        {
            image.AsSpan(((y0 + y) * side) + x0, Patch).CopyTo(patch.AsSpan(y * Patch));
        }

        return patch;
    }
}
