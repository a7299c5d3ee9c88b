using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Registration;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The two-channel CNN on the stacked patches, on self-made multimodal data (no ../shared needed): the network against
/// a plain loop, the search (first layer shared through dense maps) against scoring every candidate pair, seeded
/// training, the model file round trip (format version 7, kind 4) and the refusals.
/// </summary>
public sealed class TwoChannelSimilarityTests : IDisposable
{
    private const int Patch = 17;
    private readonly string _tempFolder = Directory.CreateTempSubdirectory("deepsim-2ch-").FullName;

    /// <summary>A configuration small enough for a test (17x17 patches, locally standardised: a 13x13 network input).</summary>
    private static readonly FeatureTrainingOptions Tiny = FeatureTrainingOptions.TwoChannel with
    {
        Channels = 4,
        HiddenUnits = 8,
        Epochs = 3,
        StepsPerEpoch = 6,
        CropsPerBatch = 2,
        CropSize = 33,
        QueriesPerCrop = 4,
        CandidatesPerQuery = 32,
        Seed = 5,
    };

    public void Dispose() => Directory.Delete(_tempFolder, recursive: true);

    [Fact]
    public void TrainsDeterministicallyAndTheLossFalls()
    {
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 1);
        var a = TwoChannelSimilarityTrainer.Train([pair], Tiny);
        var b = TwoChannelSimilarityTrainer.Train([pair], Tiny);
        Assert.Equal(Tiny.Epochs, a.History.Count);
        Assert.Equal(a.History, b.History);
        for (var i = 0; i < a.Convolutions.Count; i++)
        {
            Assert.Equal(a.Convolutions[i].Weights, b.Convolutions[i].Weights);
            Assert.Equal(a.Convolutions[i].Bias, b.Convolutions[i].Bias);
        }

        Assert.Equal(a.Dense[0].Weights, b.Dense[0].Weights);
        // 2 -> 4 channels (13 -> 11), max-pool 3/2 (-> 5), 4 -> 8 (-> 3), 8 -> 8 (-> 1); 8 -> 8 -> 1 fully connected.
        Assert.Equal([4, 8, 8], a.Convolutions.Select(l => l.Outputs));
        Assert.Equal(8, a.Dense[0].Inputs);
        Assert.Equal(1, a.Dense[^1].Outputs);
        Assert.True(a.History[^1].TrainLoss < a.History[0].TrainLoss, $"the loss did not fall: {a.History[0].TrainLoss:F3} -> {a.History[^1].TrainLoss:F3}");
        var other = TwoChannelSimilarityTrainer.Train([pair], Tiny with { Seed = 6 });
        Assert.NotEqual(a.Convolutions[0].Weights, other.Convolutions[0].Weights);
    }

    [Fact]
    public void NetworkEqualsAPlainLoop()
    {
        var model = RandomModel(seed: 3);
        var pair = FeatureSimilarityTests.SyntheticPair(40, 40, 1, seed: 4);
        var fixedPatch = pair.Fixed.CopyPatch(20, 20, 0, Patch);
        var pairs = new List<PatchPair>();
        foreach (var (x, y) in new[] { (20, 20), (18, 23), (25, 17) })
        {
            pairs.Add(new PatchPair(
                fixedPatch, pair.Moving.CopyPatch(x, y, 0, Patch), Patch, x == 20 ? PatchLabel.Match : PatchLabel.NonMatch,
                new PatchCenter(20, 20), new PatchCenter(x, y), "fixed", "moving", IntensityRange.Of(pair.Fixed), IntensityRange.Of(pair.Moving)));
        }

        var scores = new double[pairs.Count];
        model.ScorePairs(pairs, scores);
        for (var i = 0; i < pairs.Count; i++)
        {
            var expected = PlainScore(model, pairs[i]);
            Assert.True(Math.Abs(scores[i] - expected) < 1e-4 * Math.Max(1, Math.Abs(expected)), $"pair {i}: network {scores[i]} vs plain loop {expected}");
        }
    }

    [Fact]
    public void SearchWindowsEqualScoringEveryCandidatePair()
    {
        var model = RandomModel(seed: 7);
        var pair = FeatureSimilarityTests.SyntheticPair(48, 44, 3, seed: 2);
        PatchCenter[] centres = [new(15, 15, 0), new(16, 15, 0), new(30, 25, 1), new(24, 22, 2), new(32, 28, 2)];
        const int radius = 6;
        var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
        var batched = new float[centres.Length * positions];
        var naive = new float[batched.Length];
        var reported = new List<int>();
        model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, radius, batched, new SynchronousProgress(reported.Add));
        SearchWindowScoring.ScoreByPairs(model, pair.Fixed, pair.Moving, centres, Patch, radius, naive);
        var scale = naive.Max(Math.Abs);
        for (var i = 0; i < batched.Length; i++)
        {
            Assert.True(Math.Abs(batched[i] - naive[i]) < 1e-5 * Math.Max(1, scale), $"candidate {i}: batched {batched[i]} vs per-pair {naive[i]}");
        }

        Assert.Equal(Enumerable.Range(1, centres.Length), reported);
        Assert.True(batched.Distinct().Count() > positions, "the scores do not vary with the candidate");
        Assert.Throws<PatchSizeMismatchException>(() => model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch + 2, radius, batched));
    }

    [Fact]
    public void ModelFileRoundTripsBitExactlyAsVersionSevenKindFour()
    {
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 4);
        var model = TwoChannelSimilarityTrainer.Train([pair], Tiny with { Epochs = 1, StepsPerEpoch = 2 }, name: "2ch");
        var path = Path.Combine(_tempFolder, "2ch.dsim");
        ModelFile.Save((object)model, path);
        var loaded = Assert.IsType<TwoChannelSimilarityModel>(ModelFile.Load(path));
        Assert.Equal("2ch", loaded.Name);
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(model.History, loaded.History);
        Assert.Equal(model.TrainingImageCount, loaded.TrainingImageCount);
        Assert.Equal(model.CreatedUtc, loaded.CreatedUtc);
        for (var i = 0; i < model.Convolutions.Count; i++)
        {
            Assert.Equal(model.Convolutions[i].Weights, loaded.Convolutions[i].Weights);
            Assert.Equal(model.Convolutions[i].Bias, loaded.Convolutions[i].Bias);
        }

        for (var i = 0; i < model.Dense.Count; i++)
        {
            Assert.Equal(model.Dense[i].Weights, loaded.Dense[i].Weights);
            Assert.Equal(model.Dense[i].Bias, loaded.Dense[i].Bias);
        }

        PatchCenter[] centres = [new(20, 20), new(40, 35)];
        var before = new float[2 * 81];
        var after = new float[2 * 81];
        model.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, before);
        loaded.ScoreSearchWindows(pair.Fixed, pair.Moving, centres, Patch, 4, after);
        Assert.Equal(before, after);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(7, BitConverter.ToInt32(bytes, 4));
        Assert.Equal(4, BitConverter.ToInt32(bytes, 8));
        Assert.Same(typeof(TwoChannelSimilarityModel), ModelFile.LoadMetric(path).GetType());
        Assert.Equal(ModelFileError.WrongKind, Assert.Throws<ModelFileException>(() => ModelFile.LoadSimilarityModel(path)).Error);
        // A file claiming an older version (with a valid checksum) cannot hold the new kind.
        bytes[4] = 6;
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);
        var old = Path.Combine(_tempFolder, "old.dsim");
        File.WriteAllBytes(old, bytes);
        Assert.Equal(ModelFileError.WrongKind, Assert.Throws<ModelFileException>(() => ModelFile.Load(old)).Error);
    }

    [Fact]
    public void RefusesOptionsItCannotHonourAndRegistration()
    {
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 9);
        Assert.Contains("Anchor None", Assert.Throws<ArgumentException>(() => TwoChannelSimilarityTrainer.Train([pair], Tiny with { Anchor = FeatureScoreAnchor.Lcc })).Message);
        Assert.Contains("at least 13x13", Assert.Throws<ArgumentException>(() => TwoChannelSimilarityTrainer.Train([pair], Tiny with { PatchSize = 15 })).Message);
        var e = Assert.Throws<RegistrationException>(() => RegistrationMetrics.From(RandomModel(seed: 1)));
        Assert.Equal(RegistrationError.UnsupportedMetric, e.Error);
        Assert.Contains("no per-image feature maps", e.Message);
    }

    /// <summary>An untrained model with random weights of a visible scale (the trainer's initialisation, no steps).</summary>
    private static TwoChannelSimilarityModel RandomModel(int seed)
    {
        var rng = new Random(seed);
        ConvLayer Conv(int outputs, int inputs) => new(outputs, inputs, 3, 1, Random(outputs * inputs * 9, rng, 0.4), Random(outputs, rng, 0.1));
        DenseLayer Dense(int outputs, int inputs) => new(outputs, inputs, Random(outputs * inputs, rng, 0.4), Random(outputs, rng, 0.1));
        return new TwoChannelSimilarityModel("random", [Conv(4, 2), Conv(8, 4), Conv(8, 8)], [Dense(8, 8), Dense(1, 8)], Tiny, [], 0, DateTimeOffset.UnixEpoch);
    }

    private static float[] Random(int length, Random rng, double scale) => [.. Enumerable.Range(0, length).Select(_ => (float)(((rng.NextDouble() * 2) - 1) * scale))];

    /// <summary>The network written out as loops in float64: prepare both patches, conv + ReLU, max-pool 3/2, conv + ReLU twice, FC + ReLU, FC.</summary>
    private static double PlainScore(TwoChannelSimilarityModel model, PatchPair pair)
    {
        var o = model.Options;
        var f = o.NetworkField;
        var scaled = new float[Patch * Patch];
        FeatureSimilarityModel.Scale(pair.FixedPatch, pair.FixedRange, scaled);
        var fixedInput = FeatureSimilarityModel.Prepare(o, scaled, Patch, Patch);
        FeatureSimilarityModel.Scale(pair.MovingPatch, pair.MovingRange, scaled);
        var movingInput = FeatureSimilarityModel.Prepare(o, scaled, Patch, Patch);
        var x = new double[2, f, f];
        for (var i = 0; i < f * f; i++)
        {
            x[0, i / f, i % f] = fixedInput[i];
            x[1, i / f, i % f] = movingInput[i];
        }

        x = Conv(x, model.Convolutions[0]);
        x = Pool(x);
        x = Conv(x, model.Convolutions[1]);
        x = Conv(x, model.Convolutions[2]);
        var h = x.Cast<double>().ToArray();
        for (var l = 0; l < model.Dense.Count; l++)
        {
            var layer = model.Dense[l];
            var next = new double[layer.Outputs];
            for (var r = 0; r < layer.Outputs; r++)
            {
                double sum = layer.Bias[r];
                for (var c = 0; c < layer.Inputs; c++)
                {
                    sum += layer.Weights[(r * layer.Inputs) + c] * h[c];
                }

                next[r] = l < model.Dense.Count - 1 ? Math.Max(0, sum) : sum;
            }

            h = next;
        }

        return h[0];
    }

    /// <summary>A valid 3x3 convolution followed by ReLU.</summary>
    private static double[,,] Conv(double[,,] x, ConvLayer layer)
    {
        var side = x.GetLength(1) - 2;
        var y = new double[layer.Outputs, side, side];
        for (var o = 0; o < layer.Outputs; o++)
        {
            for (var r = 0; r < side; r++)
            {
                for (var c = 0; c < side; c++)
                {
                    double sum = layer.Bias[o];
                    for (var i = 0; i < layer.Inputs; i++)
                    {
                        for (var kr = 0; kr < 3; kr++)
                        {
                            for (var kc = 0; kc < 3; kc++)
                            {
                                sum += layer.Weights[(((((o * layer.Inputs) + i) * 3) + kr) * 3) + kc] * x[i, r + kr, c + kc];
                            }
                        }
                    }

                    y[o, r, c] = Math.Max(0, sum);
                }
            }
        }

        return y;
    }

    /// <summary>Max-pooling over 3x3 windows with stride 2 (no padding).</summary>
    private static double[,,] Pool(double[,,] x)
    {
        var side = ((x.GetLength(1) - 3) / 2) + 1;
        var y = new double[x.GetLength(0), side, side];
        for (var ch = 0; ch < x.GetLength(0); ch++)
        {
            for (var r = 0; r < side; r++)
            {
                for (var c = 0; c < side; c++)
                {
                    var max = double.NegativeInfinity;
                    for (var kr = 0; kr < 3; kr++)
                    {
                        for (var kc = 0; kc < 3; kc++)
                        {
                            max = Math.Max(max, x[ch, (2 * r) + kr, (2 * c) + kc]);
                        }
                    }

                    y[ch, r, c] = max;
                }
            }
        }

        return y;
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
