using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The two-branch CNN similarity on self-made multimodal data (no ../shared needed): seeded training, the dense
/// search-window path against scoring every candidate pair through <see cref="ISimilarityMetric.ScorePairs"/>, and the
/// model file round trip.
/// </summary>
public sealed class FeatureSimilarityTests : IDisposable
{
    private const int Patch = 9;
    private readonly string _tempFolder = Directory.CreateTempSubdirectory("deepsim-cnn-").FullName;

    /// <summary>A configuration small enough for a test; the anchored tests derive theirs from it.</summary>
    internal static readonly FeatureTrainingOptions Tiny = new()
    {
        PatchSize = Patch,
        // Any channel count trains correctly since the convolution avoids libtorch's oneDNN path (ConvGradientTests).
        Channels = 16,
        FeatureDimension = 8,
        Epochs = 3,
        StepsPerEpoch = 8,
        CropsPerBatch = 2,
        CropSize = 32,
        QueriesPerCrop = 16,
        Seed = 5,
        // The cosine-only model (the LCC anchor has its own tests, LccAnchorTests).
        Anchor = FeatureScoreAnchor.None,
    };

    public void Dispose() => Directory.Delete(_tempFolder, recursive: true);

    [Fact]
    public void TrainsDeterministicallyAndLearnsBetterThanChance()
    {
        var pair = SyntheticPair(64, 64, 1, seed: 1);
        var a = FeatureSimilarityTrainer.Train([pair], Tiny);
        var b = FeatureSimilarityTrainer.Train([pair], Tiny);
        Assert.Equal(Tiny.Epochs, a.History.Count);
        for (var i = 0; i < a.FixedLayers.Count; i++)
        {
            Assert.Equal(a.FixedLayers[i].Weights, b.FixedLayers[i].Weights);
            Assert.Equal(a.MovingLayers[i].Bias, b.MovingLayers[i].Bias);
        }

        // Local input: 5x5 standardisation windows inside the 9x9 patch leave a 5x5 field (dilations 1, 1).
        Assert.Equal(5, Tiny.NetworkField);
        Assert.Equal([1, 1], a.FixedLayers.Take(2).Select(l => l.Dilation));
        // Chance level of the softmax is ln(candidates) = ln(2 crops x 24^2 positions) ~ 7.05.
        var chance = Math.Log(Tiny.CropsPerBatch * Math.Pow(Tiny.CropSize - Patch + 1, 2));
        Assert.True(a.History[^1].TrainLoss < chance - 0.5, $"final loss {a.History[^1].TrainLoss:F3} is not below chance {chance:F3}");
        Assert.True(a.History[^1].TrainLoss < a.History[0].TrainLoss, "the loss did not fall");
    }

    [Fact]
    public void FastSearchWindowsEqualScoringEveryCandidatePair()
    {
        var pair = SyntheticPair(48, 44, 3, seed: 2);
        var model = FeatureSimilarityTrainer.Train([SyntheticPair(64, 64, 1, seed: 3)], Tiny with { Epochs = 1, StepsPerEpoch = 3 });
        PatchCenter[] centres = [new(12, 12, 0), new(13, 12, 0), new(30, 25, 1), new(24, 22, 2), new(35, 31, 2)];
        const int radius = 6;
        var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
        var fast = new float[centres.Length * positions];
        var naive = new float[fast.Length];
        model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, radius, fast);
        SearchWindowScoring.ScoreByPairs(model, pair.Fixed, pair.Moving, centres, Patch, radius, naive);
        for (var i = 0; i < fast.Length; i++)
        {
            Assert.True(Math.Abs(fast[i] - naive[i]) < 1e-4, $"candidate {i}: fast {fast[i]} vs per-pair {naive[i]}");
        }

        // Scores are cosines; the feature maps serve the same numbers to other users (registration).
        Assert.All(fast, s => Assert.InRange(s, -1.0001f, 1.0001f));
        var fixedMaps = model.ComputeFeatureMaps(pair.Fixed, FeatureBranch.Fixed);
        var movingMaps = model.ComputeFeatureMaps(pair.Moving, FeatureBranch.Moving);
        var c = centres[2];
        var k = (2 * ((2 * radius) + 1)) + 3; // dy = -radius + 2, dx = -radius + 3
        Assert.Equal(fast[(2 * positions) + k], fixedMaps.Dot(c.X, c.Y, c.Z, movingMaps, c.X - radius + 3, c.Y - radius + 2, c.Z), 5);
        Assert.Equal(0f, fixedMaps.Values[(int)fixedMaps.IndexOf(0, 0, 0)]);

        Assert.Throws<PatchSizeMismatchException>(() => model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch + 2, radius, fast));
    }

    [Fact]
    public void ModelFileRoundTripsBitExactly()
    {
        var pair = SyntheticPair(64, 64, 1, seed: 4);
        var model = FeatureSimilarityTrainer.Train([pair], Tiny with { Epochs = 1, StepsPerEpoch = 2 }, name: "cnn");
        var path = Path.Combine(_tempFolder, "cnn.dsim");
        ModelFile.Save(model, path);
        var loaded = Assert.IsType<FeatureSimilarityModel>(ModelFile.Load(path));
        Assert.Equal("cnn", loaded.Name);
        Assert.Equal(model.PatchSize, loaded.PatchSize);
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(model.History, loaded.History);
        for (var i = 0; i < model.FixedLayers.Count; i++)
        {
            Assert.Equal(model.FixedLayers[i].Weights, loaded.FixedLayers[i].Weights);
            Assert.Equal(model.FixedLayers[i].Dilation, loaded.FixedLayers[i].Dilation);
            Assert.Equal(model.MovingLayers[i].Weights, loaded.MovingLayers[i].Weights);
            Assert.Equal(model.MovingLayers[i].Bias, loaded.MovingLayers[i].Bias);
        }

        PatchCenter[] centres = [new(20, 20), new(40, 35)];
        var before = new float[2 * 81];
        var after = new float[2 * 81];
        model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, before);
        loaded.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, after);
        Assert.Equal(before, after);

        // Written as the current format version (7); the same bytes claiming a newer version are refused with a clear error.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(ModelFile.CurrentVersion, BitConverter.ToInt32(bytes, 4));
        Assert.Equal(7, ModelFile.CurrentVersion);
        Assert.Equal(3, BitConverter.ToInt32(bytes, 8));
        bytes[4] = (byte)(ModelFile.CurrentVersion + 1);
        var future = Path.Combine(_tempFolder, "future.dsim");
        File.WriteAllBytes(future, bytes);
        var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(future));
        Assert.Equal(ModelFileError.UnsupportedVersion, e.Error);
        Assert.Contains("update DeepSim", e.Message);
        Assert.Equal(ModelFileError.WrongKind, Assert.Throws<ModelFileException>(() => ModelFile.LoadSimilarityModel(path)).Error);
        Assert.Same(loaded.GetType(), ModelFile.LoadMetric(path).GetType());
    }

    [Fact]
    public void LocalStandardizationEqualsPerWindowStatistics()
    {
        var rng = new Random(9);
        const int w = 11, h = 8, r = 2;
        var image = Enumerable.Range(0, w * h).Select(_ => (float)rng.NextDouble()).ToArray();
        image[(3 * w) + 4] = 7; // an outlier
        var result = LocalStandardization.Apply(image, w, h, r, 0.05);
        Assert.Equal((w - 4) * (h - 4), result.Length);
        for (var y = 0; y < h - 4; y++)
        {
            for (var x = 0; x < w - 4; x++)
            {
                var window = new List<double>();
                for (var dy = 0; dy <= 2 * r; dy++)
                {
                    for (var dx = 0; dx <= 2 * r; dx++)
                    {
                        window.Add(image[((y + dy) * w) + x + dx]);
                    }
                }

                var mean = window.Average();
                var std = Math.Sqrt(window.Sum(v => (v - mean) * (v - mean)) / window.Count);
                var expected = (image[((y + r) * w) + x + r] - mean) / (std + 0.05);
                Assert.Equal(expected, result[(y * (w - 4)) + x], 4);
            }
        }

        // A local affine intensity change (another scanner's level and contrast) leaves it unchanged up to epsilon.
        var rescaled = LocalStandardization.Apply(image.Select(v => (3 * v) + 10).ToArray(), w, h, r, 0.15);
        for (var i = 0; i < result.Length; i++)
        {
            Assert.Equal(result[i], rescaled[i], 4);
        }
    }

    [Fact]
    public void VersionTwoFileLoadsAsImageRangeModel()
    {
        // A format version 2 CNN file (before the normalisation setting existed): its options JSON lacks the new keys.
        var pair = SyntheticPair(64, 64, 1, seed: 8);
        var model = FeatureSimilarityTrainer.Train([pair], Tiny with { Normalization = FeatureInputNormalization.ImageRange, Epochs = 1, StepsPerEpoch = 2 }, name: "v2");
        var path = Path.Combine(_tempFolder, "v3.dsim");
        ModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        var metaLength = BitConverter.ToInt32(bytes, 24);
        var json = System.Text.Encoding.UTF8.GetString(bytes, 28, metaLength);
        var oldJson = System.Text.RegularExpressions.Regex.Replace(json, "\"Normalization(Radius|Epsilon)?\":[^,]*,", string.Empty);
        Assert.DoesNotContain("Normalization", oldJson);
        var meta = System.Text.Encoding.UTF8.GetBytes(oldJson);
        var rest = bytes.AsSpan(28 + metaLength, bytes.Length - 28 - metaLength - 32).ToArray();
        var body = new byte[28 + meta.Length + rest.Length];
        bytes.AsSpan(0, 24).CopyTo(body);
        BitConverter.GetBytes(2).CopyTo(body, 4);
        BitConverter.GetBytes((ulong)(body.Length + 32)).CopyTo(body, 16);
        BitConverter.GetBytes(meta.Length).CopyTo(body, 24);
        meta.CopyTo(body, 28);
        rest.CopyTo(body, 28 + meta.Length);
        var v2 = Path.Combine(_tempFolder, "v2.dsim");
        File.WriteAllBytes(v2, [.. body, .. System.Security.Cryptography.SHA256.HashData(body)]);

        var loaded = Assert.IsType<FeatureSimilarityModel>(ModelFile.Load(v2));
        Assert.Equal(FeatureInputNormalization.ImageRange, loaded.Options.Normalization);
        PatchCenter[] centres = [new(20, 20), new(40, 35)];
        var before = new float[2 * 81];
        var after = new float[2 * 81];
        model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, before);
        loaded.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void RefusesImagesSmallerThanTheCrop()
    {
        var pair = SyntheticPair(20, 20, 1, seed: 6);
        var e = Assert.Throws<ArgumentException>(() => FeatureSimilarityTrainer.Train([pair], Tiny));
        Assert.Contains("smaller than the 32x32 training crop", e.Message);
    }

    /// <summary>
    /// Smooth random blobs as the "fixed" modality and a non-monotonic remapping of them plus a different texture as
    /// the "moving" one: aligned, but no linear intensity relation.
    /// </summary>
    internal static ImagePair SyntheticPair(int sizeX, int sizeY, int sizeZ, int seed)
    {
        var rng = new Random(seed);
        var blobs = Enumerable.Range(0, 12).Select(_ => (X: rng.NextDouble() * sizeX, Y: rng.NextDouble() * sizeY, R: 3 + (rng.NextDouble() * 6), A: rng.NextDouble())).ToArray();
        var f = new float[sizeX * sizeY * sizeZ];
        var m = new float[f.Length];
        for (var z = 0; z < sizeZ; z++)
        {
            for (var y = 0; y < sizeY; y++)
            {
                for (var x = 0; x < sizeX; x++)
                {
                    double v = 0;
                    foreach (var b in blobs)
                    {
                        var d2 = (Math.Pow(x - b.X - z, 2) + Math.Pow(y - b.Y, 2)) / (b.R * b.R);
                        v += b.A * Math.Exp(-d2);
                    }

                    var i = x + (sizeX * (y + (sizeY * z)));
                    f[i] = (float)(100 * v);
                    m[i] = (float)((50 * Math.Sin(3 * v)) + (5 * rng.NextDouble()));
                }
            }
        }

        return new ImagePair($"synthetic-{seed}", new MedicalImage(f, sizeX, sizeY, sizeZ), new MedicalImage(m, sizeX, sizeY, sizeZ));
    }
}
