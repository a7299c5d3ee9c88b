using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Patches;
using Xunit;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The two-branch CNN's context view (<see cref="FeatureTrainingOptions.ContextScale"/>) on self-made data: its
/// geometry and input preparation, its dense maps against a plain-loop evaluation of the context stream on the
/// edge-replicated neighbourhood, the per-pair path against the search path, seeded training that learns, and the
/// model file (version 6 round trip, bit-exact; a version 4 file loads without a context view).
/// </summary>
public sealed class ContextViewTests : IDisposable
{
    private const int Patch = 9;
    private readonly string _tempFolder = Directory.CreateTempSubdirectory("deepsim-context-").FullName;

    /// <summary>The cosine-only tiny configuration with a context view of scale 2 (extent 19 around a 9x9 patch).</summary>
    private static readonly FeatureTrainingOptions Tiny = FeatureSimilarityTests.Tiny with { ContextScale = 2, ContextChannels = 4 };

    public void Dispose() => Directory.Delete(_tempFolder, recursive: true);

    [Fact]
    public void ContextGeometryAndInputPreparation()
    {
        // Box (2 floor(F/2) + 1), standardisation windows F times wider, convolutions F times dilated.
        var local = new FeatureTrainingOptions { ContextScale = 2 };
        Assert.Equal(1 + 2 + 8 + 24, local.ContextExtent);
        Assert.Equal(9, local.ContextMargin);
        Assert.Equal(69, (local with { ContextScale = 4 }).ContextExtent);
        Assert.Equal(1 + 2 + 32, (local with { Normalization = FeatureInputNormalization.ImageRange }).ContextExtent);
        Assert.Equal(17, new FeatureTrainingOptions().ContextExtent);
        Assert.Equal(19, Tiny.ContextExtent);
        Assert.Throws<ArgumentException>(() => (local with { ContextScale = 1 }).Validate());
        Assert.Throws<ArgumentException>(() => (local with { ContextScale = 9 }).Validate());
        Assert.Throws<ArgumentException>(() => (local with { ContextChannels = 0 }).Validate());

        var rng = new Random(2);
        const int w = 9, h = 7;
        var image = Enumerable.Range(0, w * h).Select(_ => (float)rng.NextDouble()).ToArray();
        var box = FeatureSimilarityModel.BoxMean(image, w, h, 1);
        Assert.Equal((w - 2) * (h - 2), box.Length);
        for (var y = 0; y < h - 2; y++)
        {
            for (var x = 0; x < w - 2; x++)
            {
                double sum = 0;
                for (var dy = 0; dy < 3; dy++)
                {
                    for (var dx = 0; dx < 3; dx++)
                    {
                        sum += image[((y + dy) * w) + x + dx];
                    }
                }

                Assert.Equal(sum / 9, box[(y * (w - 2)) + x], 5);
            }
        }

        var padded = FeatureSimilarityModel.PadReplicate(image, w, h, 2);
        Assert.Equal((w + 4) * (h + 4), padded.Length);
        Assert.Equal(image[0], padded[0]);
        Assert.Equal(image[(h * w) - 1], padded[^1]);
        Assert.Equal(image[(3 * w) + 4], padded[((3 + 2) * (w + 4)) + 4 + 2]);
        Assert.Equal(image[(3 * w) + w - 1], padded[((3 + 2) * (w + 4)) + w + 3]);

        // Local input: 19 - 2 (box) - 8 (standardisation at radius 2 x 2) = the 9x9 the dilated convolutions need.
        var input = FeatureSimilarityModel.PrepareContext(Tiny, new float[19 * 19], 19, 19, out var size);
        Assert.Equal((9, 9), size);
        Assert.Equal(81, input.Length);
    }

    [Fact]
    public void ContextModelTrainsAndItsMapsEqualAPlainEvaluationOfTheView()
    {
        var train = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 1);
        var a = FeatureSimilarityTrainer.Train([train], Tiny);
        var b = FeatureSimilarityTrainer.Train([train], Tiny);
        Assert.Equal(a.ContextWeight, b.ContextWeight);
        Assert.Equal(a.FixedContextLayers[0].Weights, b.FixedContextLayers[0].Weights);
        Assert.Equal(a.MovingContextLayers[^1].Weights, b.MovingContextLayers[^1].Weights);
        // Shapes: the patch stream's layout with dilations x 2 and ContextChannels hidden channels.
        Assert.Equal(a.FixedLayers.SkipLast(1).Select(l => 2 * l.Dilation), a.FixedContextLayers.SkipLast(1).Select(l => l.Dilation));
        Assert.Equal(1, a.FixedContextLayers[^1].Kernel);
        Assert.Equal([4, 4, Tiny.FeatureDimension], a.MovingContextLayers.Select(l => l.Outputs));
        Assert.Equal(2 * Tiny.FeatureDimension, a.MapChannels);
        Assert.True(a.ContextWeight > 0 && a.ContextWeight != 1, $"context weight {a.ContextWeight}");
        Assert.Contains("context cosine (19x19 at 1/2)", a.ToString());
        var chance = Math.Log(Tiny.CropsPerBatch * Math.Pow(Tiny.CropSize - Patch + 1, 2));
        Assert.True(a.History[^1].TrainLoss < chance - 0.5, $"final loss {a.History[^1].TrainLoss:F3} is not below chance {chance:F3}");

        var pair = FeatureSimilarityTests.SyntheticPair(40, 36, 1, seed: 2);
        var fixedMaps = a.ComputeFeatureMaps(pair.Fixed, FeatureBranch.Fixed);
        var movingMaps = a.ComputeFeatureMaps(pair.Moving, FeatureBranch.Moving);
        Assert.Equal(16, movingMaps.Channels);
        // The patch part is what the same patch networks give without a context view.
        var plain = new FeatureSimilarityModel("plain", Patch, a.FixedLayers, a.MovingLayers, a.Options with { ContextScale = 0 }, a.History, 1, a.CreatedUtc);
        var plainMaps = plain.ComputeFeatureMaps(pair.Moving, FeatureBranch.Moving);
        const int d = 8;
        (int X, int Y)[] positions = [(20, 18), (4, 4), (35, 5), (10, 31)];
        foreach (var (x, y) in positions)
        {
            var expected = PlainContextVector(a, a.MovingContextLayers, pair.Moving, x, y);
            var got = movingMaps.Values.AsSpan((int)movingMaps.IndexOf(x, y), 16);
            var fixedExpected = PlainContextVector(a, a.FixedContextLayers, pair.Fixed, x, y);
            var fixedGot = fixedMaps.Values.AsSpan((int)fixedMaps.IndexOf(x, y), 16);
            for (var c = 0; c < d; c++)
            {
                Assert.Equal(plainMaps.Values[plainMaps.IndexOf(x, y) + c], got[c]);
                Assert.True(Math.Abs(expected[c] - got[d + c]) < 1e-4, $"({x}, {y}) channel {c}: map {got[d + c]} vs plain loops {expected[c]}");
                // The fixed maps carry the context weight.
                Assert.True(Math.Abs((a.ContextWeight * fixedExpected[c]) - fixedGot[d + c]) < 1e-4, $"fixed ({x}, {y}) channel {c}");
            }
        }

        // The search scores are the dot products of those maps: patch cosine + weight x context cosine.
        PatchCenter[] centres = [new(20, 18), new(12, 14)];
        const int radius = 3;
        var scores = new float[centres.Length * 49];
        a.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, radius, scores);
        for (var q = 0; q < centres.Length; q++)
        {
            for (var i = 0; i < 49; i++)
            {
                var (mx, my) = (centres[q].X - radius + (i % 7), centres[q].Y - radius + (i / 7));
                Assert.Equal(fixedMaps.Dot(centres[q].X, centres[q].Y, 0, movingMaps, mx, my, 0), scores[(q * 49) + i], 5);
            }
        }

        // Scoring a pair of bare patches: the context view sees each patch with its edges replicated, which is what the
        // search path sees in an image made of that replicated patch.
        var fixedPatch = Cut(pair.Fixed, 20, 18);
        var movingPatch = Cut(pair.Moving, 21, 17);
        var pad = Tiny.ContextMargin;
        var side = Patch + (2 * pad);
        var fixedImage = new MedicalImage(FeatureSimilarityModel.PadReplicate(fixedPatch, Patch, Patch, pad), side, side, 1);
        var movingImage = new MedicalImage(FeatureSimilarityModel.PadReplicate(movingPatch, Patch, Patch, pad), side, side, 1);
        var fr = IntensityRange.Of(fixedImage);
        var mr = IntensityRange.Of(movingImage);
        var patchPair = new PatchPair(fixedPatch, movingPatch, Patch, PatchLabel.NonMatch, new(20, 18), new(21, 17), "f", "m", fr, mr);
        var pairScore = new double[1];
        a.ScorePairs([patchPair], pairScore);
        var searched = new float[1];
        a.ScoreSearchWindows(fixedImage, movingImage, [new(side / 2, side / 2)], Patch, 0, searched);
        Assert.True(Math.Abs(pairScore[0] - searched[0]) < 1e-4, $"per pair {pairScore[0]} vs search {searched[0]}");

        Assert.Throws<ArgumentException>(() => new FeatureSimilarityModel("bad", Patch, a.FixedLayers, a.MovingLayers, a.Options, a.History, 1, a.CreatedUtc));
        Assert.Throws<ArgumentException>(() => new FeatureSimilarityModel("bad", Patch, a.FixedLayers, a.MovingLayers, a.Options with { ContextScale = 0 }, a.History, 1, a.CreatedUtc, 0, a.FixedContextLayers, a.MovingContextLayers, a.ContextWeight));
        Assert.Throws<ArgumentException>(() => new FeatureSimilarityModel("bad", Patch, a.FixedLayers, a.MovingLayers, a.Options with { ContextScale = 3 }, a.History, 1, a.CreatedUtc, 0, a.FixedContextLayers, a.MovingContextLayers, a.ContextWeight));
    }

    [Fact]
    public void ContextModelFileRoundTripsBitExactAndVersionFourLoadsWithoutContext()
    {
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 4);
        var model = FeatureSimilarityTrainer.Train([pair], Tiny with { Anchor = FeatureScoreAnchor.Lcc, Epochs = 1, StepsPerEpoch = 2 }, name: "context");
        var path = Path.Combine(_tempFolder, "context.dsim");
        ModelFile.Save(model, path);
        var loaded = Assert.IsType<FeatureSimilarityModel>(ModelFile.Load(path));
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(BitConverter.DoubleToInt64Bits(model.ContextWeight), BitConverter.DoubleToInt64Bits(loaded.ContextWeight));
        Assert.Equal(BitConverter.DoubleToInt64Bits(model.AnchorWeight), BitConverter.DoubleToInt64Bits(loaded.AnchorWeight));
        for (var i = 0; i < model.FixedContextLayers.Count; i++)
        {
            Assert.Equal(model.FixedContextLayers[i].Weights, loaded.FixedContextLayers[i].Weights);
            Assert.Equal(model.FixedContextLayers[i].Dilation, loaded.FixedContextLayers[i].Dilation);
            Assert.Equal(model.MovingContextLayers[i].Bias, loaded.MovingContextLayers[i].Bias);
        }

        PatchCenter[] centres = [new(20, 20), new(40, 35)];
        var before = new float[2 * 81];
        var after = new float[2 * 81];
        model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, before);
        loaded.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, after);
        Assert.Equal(before, after);
        Assert.Equal(ModelFile.CurrentVersion, BitConverter.ToInt32(File.ReadAllBytes(path), 4));
        // Saving the loaded model again gives the same weights and metadata (only the file is rewritten).
        var again = Path.Combine(_tempFolder, "again.dsim");
        ModelFile.Save(loaded, again);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));

        // A version 4 file (no context keys, no context blocks) loads as the model without a context view.
        var plain = FeatureSimilarityTrainer.Train([pair], FeatureSimilarityTests.Tiny with { Epochs = 1, StepsPerEpoch = 2 }, name: "v4");
        var plainPath = Path.Combine(_tempFolder, "plain.dsim");
        ModelFile.Save(plain, plainPath);
        var v4 = Path.Combine(_tempFolder, "v4.dsim");
        File.WriteAllBytes(v4, AsVersionFour(File.ReadAllBytes(plainPath)));
        var old = Assert.IsType<FeatureSimilarityModel>(ModelFile.Load(v4));
        Assert.Equal(0, old.ContextScale);
        Assert.Empty(old.FixedContextLayers);
        var oldScores = new float[before.Length];
        var plainScores = new float[before.Length];
        old.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, oldScores);
        plain.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, plainScores);
        Assert.Equal(plainScores, oldScores);
    }

    /// <summary>The same file as a version 4 writer produced it: without the context keys in the metadata, version 4, new hash.</summary>
    private static byte[] AsVersionFour(byte[] bytes)
    {
        var metaLength = BitConverter.ToInt32(bytes, 24);
        var json = System.Text.Encoding.UTF8.GetString(bytes, 28, metaLength);
        var oldJson = System.Text.RegularExpressions.Regex.Replace(json, ",?\"(ContextScale|ContextChannels|FixedContextLayers|MovingContextLayers|ContextWeight)\":(\\[[^\\]]*\\]|[^,}]*)", string.Empty);
        Assert.DoesNotContain("Context", oldJson);
        var meta = System.Text.Encoding.UTF8.GetBytes(oldJson);
        var rest = bytes.AsSpan(28 + metaLength, bytes.Length - 28 - metaLength - 32).ToArray();
        var body = new byte[28 + meta.Length + rest.Length];
        bytes.AsSpan(0, 24).CopyTo(body);
        BitConverter.GetBytes(4).CopyTo(body, 4);
        BitConverter.GetBytes((ulong)(body.Length + 32)).CopyTo(body, 16);
        BitConverter.GetBytes(meta.Length).CopyTo(body, 24);
        meta.CopyTo(body, 28);
        rest.CopyTo(body, 28 + meta.Length);
        return [.. body, .. System.Security.Cryptography.SHA256.HashData(body)];
    }

    /// <summary>
    /// The context vector at (x, y) by plain loops in float64: the edge-replicated extent x extent neighbourhood of the
    /// range-scaled image, the model's own context input preparation, then the dilated convolutions, ReLU and unit length.
    /// </summary>
    private static double[] PlainContextVector(FeatureSimilarityModel model, IReadOnlyList<ConvLayer> layers, MedicalImage image, int x, int y)
    {
        var o = model.Options;
        var extent = o.ContextExtent;
        var half = extent / 2;
        var range = IntensityRange.Of(image);
        var voxels = image.VoxelSpan;
        var hood = new float[extent * extent];
        for (var v = 0; v < extent; v++)
        {
            for (var u = 0; u < extent; u++)
            {
                var sx = Math.Clamp(x - half + u, 0, image.SizeX - 1);
                var sy = Math.Clamp(y - half + v, 0, image.SizeY - 1);
                hood[(v * extent) + u] = (voxels[(sy * image.SizeX) + sx] - range.Min) / range.Width;
            }
        }

        var input = FeatureSimilarityModel.PrepareContext(o, hood, extent, extent, out var size);
        var channels = 1;
        var side = size.Width;
        var h = input.Select(v => (double)v).ToArray();
        for (var li = 0; li < layers.Count; li++)
        {
            var l = layers[li];
            var outSide = side - (l.Dilation * (l.Kernel - 1));
            var next = new double[l.Outputs * outSide * outSide];
            for (var co = 0; co < l.Outputs; co++)
            {
                for (var py = 0; py < outSide; py++)
                {
                    for (var px = 0; px < outSide; px++)
                    {
                        double s = l.Bias[co];
                        for (var ci = 0; ci < channels; ci++)
                        {
                            for (var ky = 0; ky < l.Kernel; ky++)
                            {
                                for (var kx = 0; kx < l.Kernel; kx++)
                                {
                                    s += l.Weights[(((((co * channels) + ci) * l.Kernel) + ky) * l.Kernel) + kx]
                                        * h[(((ci * side) + py + (ky * l.Dilation)) * side) + px + (kx * l.Dilation)];
                                }
                            }
                        }

                        next[(((co * outSide) + py) * outSide) + px] = li < layers.Count - 1 ? Math.Max(0, s) : s;
                    }
                }
            }

            h = next;
            channels = l.Outputs;
            side = outSide;
        }

        Assert.Equal(1, side);
        var norm = Math.Sqrt(h.Sum(v => v * v) + FeatureSimilarityModel.NormEpsilon);
        return [.. h.Select(v => v / norm)];
    }

    private static float[] Cut(MedicalImage image, int cx, int cy)
    {
        var patch = new float[Patch * Patch];
        var voxels = image.VoxelSpan;
        for (var y = 0; y < Patch; y++)
        {
            voxels.Slice(((cy - (Patch / 2) + y) * image.SizeX) + cx - (Patch / 2), Patch).CopyTo(patch.AsSpan(y * Patch));
        }

        return patch;
    }
}
