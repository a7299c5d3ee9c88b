using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The 3D two-branch CNN on self-made volumes (no ../shared needed): 3D local standardisation and LCC anchor against
/// their definitions, seeded training that learns, the volume search against scoring every candidate pair, feature-map
/// shapes, and the model file round trip. The 3D convolution's gradient is checked in <see cref="ConvGradientTests"/>.
/// </summary>
public sealed class FeatureSimilarity3DTests : IDisposable
{
    private const int Patch = 7;
    private readonly string _tempFolder = Directory.CreateTempSubdirectory("deepsim-cnn3d-").FullName;

    /// <summary>The measured 3D defaults, shrunk for a test: 15^3 crops (9^3 = 729 candidates per query).</summary>
    private static readonly FeatureTrainingOptions Tiny = FeatureTrainingOptions.Volumetric with
    {
        Channels = 8,
        FeatureDimension = 8,
        Epochs = 4,
        StepsPerEpoch = 6,
        CropsPerBatch = 2,
        CropSize = 15,
        QueriesPerCrop = 8,
        Seed = 5,
    };

    public void Dispose() => Directory.Delete(_tempFolder, recursive: true);

    [Fact]
    public void CosineOnlyTrainingIsDeterministicAndLearnsBetterThanChance()
    {
        var pair = SyntheticVolumes(24, seed: 1);
        var options = Tiny with { Anchor = FeatureScoreAnchor.None };
        var a = FeatureSimilarityTrainer.Train([pair], options);
        var b = FeatureSimilarityTrainer.Train([pair], options);
        Assert.Equal(3, a.Dimensions);
        Assert.Equal(3, a.RequiredPatchDimension);
        Assert.All(a.FixedLayers, l => Assert.Equal(3, l.Dimensions));
        // 3x3x3 standardisation windows leave a 5^3 field: two 3x3x3 convolutions (dilations 1, 1), then 1x1x1.
        Assert.Equal([1, 1, 1], a.FixedLayers.Select(l => l.Dilation));
        Assert.Equal(8 * 27, a.FixedLayers[0].Weights.Length);
        for (var i = 0; i < a.FixedLayers.Count; i++)
        {
            Assert.Equal(a.FixedLayers[i].Weights, b.FixedLayers[i].Weights);
            Assert.Equal(a.MovingLayers[i].Bias, b.MovingLayers[i].Bias);
        }

        // Chance level of the softmax over both crops' positions: ln(2 x 9^3) ~ 7.28.
        var chance = Math.Log(2 * Math.Pow(Tiny.CropSize - Patch + 1, 3));
        Assert.True(a.History[^1].TrainLoss < chance - 0.5, $"final loss {a.History[^1].TrainLoss:F3} is not below chance {chance:F3}");
        Assert.True(a.History[^1].TrainLoss < a.History[0].TrainLoss, "the loss did not fall");
    }

    [Fact]
    public void AnchoredSearchCubesEqualScoringEveryCandidatePair()
    {
        var model = FeatureSimilarityTrainer.Train([SyntheticVolumes(24, seed: 3)], Tiny with { Epochs = 1, StepsPerEpoch = 3 });
        Assert.Equal(FeatureScoreAnchor.Lcc, model.Anchor);
        Assert.True(model.AnchorWeight > 0);
        var pair = SyntheticVolumes(20, seed: 2);
        PatchCenter[] centres = [new(8, 8, 8), new(9, 10, 8), new(11, 9, 10)];
        const int radius = 3;
        var candidates = 7 * 7 * 7;
        var fast = new float[centres.Length * candidates];
        var naive = new float[fast.Length];
        model.ScoreSearchCubes(pair.Fixed, pair.Moving, centres, Patch, radius, fast);
        SearchWindowScoring.ScoreCubesByPairs(model, pair.Fixed, pair.Moving, centres, Patch, radius, naive);
        for (var i = 0; i < fast.Length; i++)
        {
            Assert.True(Math.Abs(fast[i] - naive[i]) < 1e-4, $"candidate {i}: fast {fast[i]} vs per-pair {naive[i]}");
        }

        // The maps: unit vectors where a cube fits, zero vectors within half a patch of any face (z included).
        var maps = model.ComputeFeatureMaps(pair.Moving, FeatureBranch.Moving);
        Assert.Equal((20, 20, 20, 8, 3), (maps.SizeX, maps.SizeY, maps.SizeZ, maps.Channels, maps.Margin));
        Assert.Equal(1f, maps.Dot(10, 10, 3, maps, 10, 10, 3), 3);
        Assert.Equal(1f, maps.Dot(3, 16, 16, maps, 3, 16, 16), 3);
        Assert.Equal(0f, maps.Dot(10, 10, 2, maps, 10, 10, 2));
        Assert.Equal(0f, maps.Dot(10, 17, 10, maps, 10, 17, 10));

        // A 3D model does not run the in-plane search, nor another patch size.
        Assert.Throws<PatchSizeMismatchException>(() => model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, radius, fast));
        Assert.Throws<PatchSizeMismatchException>(() => model.ScoreSearchCubes(pair.Fixed, pair.Moving, centres, Patch - 2, radius, fast));
    }

    [Fact]
    public void ModelFileRoundTripsBitExactlyAndOlderVersionsCannotClaim3D()
    {
        var pair = SyntheticVolumes(20, seed: 4);
        var model = FeatureSimilarityTrainer.Train([pair], Tiny with { Epochs = 1, StepsPerEpoch = 2 }, name: "cnn3d");
        var path = Path.Combine(_tempFolder, "cnn3d.dsim");
        ModelFile.Save(model, path);
        var loaded = Assert.IsType<FeatureSimilarityModel>(ModelFile.Load(path));
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(3, loaded.Dimensions);
        Assert.Equal(model.AnchorWeight, loaded.AnchorWeight);
        for (var i = 0; i < model.FixedLayers.Count; i++)
        {
            Assert.Equal(3, loaded.FixedLayers[i].Dimensions);
            Assert.Equal(model.FixedLayers[i].Weights, loaded.FixedLayers[i].Weights);
            Assert.Equal(model.MovingLayers[i].Weights, loaded.MovingLayers[i].Weights);
            Assert.Equal(model.MovingLayers[i].Bias, loaded.MovingLayers[i].Bias);
        }

        PatchCenter[] centres = [new(9, 9, 9), new(10, 8, 11)];
        var before = new float[2 * 125];
        var after = new float[2 * 125];
        model.ScoreSearchCubes(pair.Fixed, pair.Moving, centres, Patch, 2, before);
        loaded.ScoreSearchCubes(pair.Fixed, pair.Moving, centres, Patch, 2, after);
        Assert.Equal(before, after);

        // Version 5 brought the 3D CNN: the same bytes labelled version 4 are corrupt, not a 2D model.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(5, BitConverter.ToInt32(bytes, 4));
        var body = bytes.AsSpan(0, bytes.Length - 32).ToArray();
        BitConverter.GetBytes(4).CopyTo(body, 4);
        var old = Path.Combine(_tempFolder, "v4.dsim");
        File.WriteAllBytes(old, [.. body, .. System.Security.Cryptography.SHA256.HashData(body)]);
        var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(old));
        Assert.Equal(ModelFileError.Corrupt, e.Error);
        Assert.Contains("3D", e.Message);
    }

    [Fact]
    public void LocalStandardization3DEqualsPerWindowStatistics()
    {
        var rng = new Random(9);
        const int w = 7, h = 6, d = 5, r = 1;
        var volume = Enumerable.Range(0, w * h * d).Select(_ => (float)rng.NextDouble()).ToArray();
        volume[(((2 * h) + 3) * w) + 4] = 6; // an outlier
        var result = LocalStandardization.Apply3D(volume, w, h, d, r, 0.05);
        Assert.Equal((w - 2) * (h - 2) * (d - 2), result.Length);
        var i = 0;
        for (var z = 0; z < d - 2; z++)
        {
            for (var y = 0; y < h - 2; y++)
            {
                for (var x = 0; x < w - 2; x++, i++)
                {
                    var window = new List<double>();
                    for (var dz = 0; dz < 3; dz++)
                    {
                        for (var dy = 0; dy < 3; dy++)
                        {
                            for (var dx = 0; dx < 3; dx++)
                            {
                                window.Add(volume[((((z + dz) * h) + y + dy) * w) + x + dx]);
                            }
                        }
                    }

                    var mean = window.Average();
                    var std = Math.Sqrt(window.Sum(v => (v - mean) * (v - mean)) / window.Count);
                    var expected = (volume[((((z + 1) * h) + y + 1) * w) + x + 1] - mean) / (std + 0.05);
                    Assert.Equal(expected, result[i], 4);
                }
            }
        }
    }

    [Fact]
    public void AnchorCropScores3DEqualTheLccMetricOnCubes()
    {
        // 12^3 crops, 7^3 patches: 6^3 candidate positions; the anchor's table must give LCC's squared 5^3-window score.
        var pair = SyntheticVolumes(12, seed: 7);
        const int side = 12, g = side - Patch + 1;
        var fixedCrop = pair.Fixed.VoxelSpan.ToArray();
        var movingCrop = pair.Moving.VoxelSpan.ToArray();
        movingCrop[(((5 * side) + 5) * side) + 5] = 500; // an outlier, and a flat corner (flat windows count 0)
        for (var z = 0; z < 6; z++)
        {
            for (var y = 0; y < 6; y++)
            {
                Array.Fill(movingCrop, 3f, ((z * side) + y) * side, 6);
            }
        }

        int[] queries = [0, 17, 215, 100];
        var scores = LccAnchor.CropScores3D(fixedCrop, movingCrop, side, Patch, 2, queries);
        var lcc = new LocalCrossCorrelationMetric(2, squared: true);
        var fixedImage = new MedicalImage(fixedCrop, side, side, side);
        var movingImage = new MedicalImage(movingCrop, side, side, side);
        var range = new IntensityRange(0, 1);
        for (var qi = 0; qi < queries.Length; qi++)
        {
            int qx = queries[qi] % g, qy = queries[qi] / g % g, qz = queries[qi] / (g * g);
            var f = fixedImage.CopyCubicPatch(qx + 3, qy + 3, qz + 3, Patch);
            foreach (var c in new[] { 0, 1, 7, 50, 108, 215, queries[qi] })
            {
                int cx = c % g, cy = c / g % g, cz = c / (g * g);
                var m = movingImage.CopyCubicPatch(cx + 3, cy + 3, cz + 3, Patch);
                var expected = lcc.ScorePatches(f, m, Patch, range, range);
                Assert.Equal(expected, scores[(qi * g * g * g) + c], 4);
            }
        }
    }

    [Fact]
    public void RefusesVolumesThinnerThanTheCrop()
    {
        var thin = SyntheticVolumes(24, seed: 6, sizeZ: 10);
        var e = Assert.Throws<ArgumentException>(() => FeatureSimilarityTrainer.Train([thin], Tiny));
        Assert.Contains("fewer slices than the 15^3 training crop", e.Message);
        // Small rotations are 2D only: the 3D augmentation is the cube's exact turns and mirrors.
        Assert.Contains("MaxRotationDegrees", Assert.Throws<ArgumentException>(() => FeatureSimilarityTrainer.Train([SyntheticVolumes(16, seed: 6)], Tiny with { MaxRotationDegrees = 10 })).Message);
    }

    /// <summary>
    /// Smooth random 3D blobs as the "fixed" modality and a non-monotonic remapping of them plus noise as the "moving"
    /// one: aligned volumes with no linear intensity relation.
    /// </summary>
    internal static ImagePair SyntheticVolumes(int size, int seed, int? sizeZ = null)
    {
        var rng = new Random(seed);
        var depth = sizeZ ?? size;
        var blobs = Enumerable.Range(0, 14).Select(_ => (X: rng.NextDouble() * size, Y: rng.NextDouble() * size, Z: rng.NextDouble() * depth, R: 2 + (rng.NextDouble() * 4), A: rng.NextDouble())).ToArray();
        var f = new float[size * size * depth];
        var m = new float[f.Length];
        var i = 0;
        for (var z = 0; z < depth; z++)
        {
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++, i++)
                {
                    double v = 0;
                    foreach (var b in blobs)
                    {
                        var d2 = (Math.Pow(x - b.X, 2) + Math.Pow(y - b.Y, 2) + Math.Pow(z - b.Z, 2)) / (b.R * b.R);
                        v += b.A * Math.Exp(-d2);
                    }

                    f[i] = (float)(100 * v);
                    m[i] = (float)((50 * Math.Sin(3 * v)) + (5 * rng.NextDouble()));
                }
            }
        }

        return new ImagePair($"synthetic-volumes-{seed}", new MedicalImage(f, size, size, depth), new MedicalImage(m, size, size, depth));
    }
}
