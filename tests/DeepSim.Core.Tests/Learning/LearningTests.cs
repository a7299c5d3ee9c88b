using System.Diagnostics;
using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Patches;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Learning;

/// <summary>SDAE pre-training, similarity training, fast search-window scoring and model files, on real T1/PD patches.</summary>
public sealed class LearningTests : IDisposable
{
    private const int Patch = 17;
    private readonly ITestOutputHelper _output;
    private readonly string _tempFolder = Path.Combine(Path.GetTempPath(), "deepsim-learning-tests-" + Guid.NewGuid().ToString("N"));

    public LearningTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_tempFolder);
    }

    public void Dispose() => Directory.Delete(_tempFolder, recursive: true);

    [SkippableFact]
    public void SdaeReducesReconstructionErrorOverEpochsAtEveryLevel()
    {
        var pairs = T1PdPairs(300, 300, seed: 11);
        var model = SdaeTrainer.Train(pairs, new SdaeOptions { EpochsPerLayer = 6, Seed = 3 });

        Assert.Equal([578, 300, 100], model.EncoderSizes);
        Assert.Equal(4, model.Autoencoders.Count);
        foreach (var ae in model.Autoencoders)
        {
            _output.WriteLine($"level {ae.Level} {ae.Name}: errors {string.Join(" ", ae.EpochReconstructionErrors.Select(e => e.ToString("F5")))}, mean activation {ae.MeanHiddenActivation:F3}");
            Assert.Equal(6, ae.EpochReconstructionErrors.Length);
            Assert.True(ae.EpochReconstructionErrors[^1] < 0.95 * ae.EpochReconstructionErrors[0], $"{ae.Name} level {ae.Level}: error did not fall enough");
            Assert.Equal(ae.EpochReconstructionErrors[^1], ae.ReconstructionError);
        }

        // The trained level-1 autoencoders reconstruct held-out real patches better than an untrained one does.
        var heldOut = T1PdPairs(100, 0, seed: 99);
        var trained = ReconstructionMse(model.Autoencoders[0], heldOut);
        var untrained = ReconstructionMse(SdaeTrainer.Train(pairs, new SdaeOptions { EpochsPerLayer = 1, LayerSizes = [578], Seed = 3, LearningRate = 1e-9 }).Autoencoders[0], heldOut);
        _output.WriteLine($"held-out fixed-patch MSE: trained {trained:F5}, untrained {untrained:F5}");
        Assert.True(trained < 0.7 * untrained);
    }

    [SkippableFact]
    public void SparsityPenaltyDrivesMeanActivationTowardRho()
    {
        var pairs = T1PdPairs(300, 300, seed: 12);
        var baseOptions = new SdaeOptions { LayerSizes = [578], EpochsPerLayer = 8, SparsityTarget = 0.05, Seed = 5 };
        var without = SdaeTrainer.Train(pairs, baseOptions with { SparsityWeight = 0 });
        var with = SdaeTrainer.Train(pairs, baseOptions with { SparsityWeight = 3 });
        foreach (var i in new[] { 0, 1 })
        {
            var a0 = without.Autoencoders[i].MeanHiddenActivation;
            var a1 = with.Autoencoders[i].MeanHiddenActivation;
            _output.WriteLine($"{without.Autoencoders[i].Name}: mean activation beta=0 {a0:F3}, beta=3 {a1:F3}, rho 0.05");
            Assert.True(Math.Abs(a1 - 0.05) < 0.5 * Math.Abs(a0 - 0.05));
            Assert.True(Math.Abs(a1 - 0.05) < 0.05);
        }
    }

    [SkippableFact]
    public void FineTuningFromSdaeSeparatesMatchFromNonMatch()
    {
        var (t1, pd) = T1Pd();
        var pairs = TestPatchSampler.Sample(t1, pd, 1500, 1500, Patch, seed: 21, maxShift: 20);
        var reports = new List<TrainingProgress>();
        var sink = new SyncProgress<TrainingProgress>(reports.Add);
        var sdae = SdaeTrainer.Train(pairs, new SdaeOptions { EpochsPerLayer = 2, Seed = 1 }, sink);
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 12, Seed = 1 }, sdae, sink);

        foreach (var e in model.History)
        {
            _output.WriteLine($"epoch {e.Epoch}: train loss {e.TrainLoss:F4} acc {e.TrainAccuracy:F3}, validation loss {e.ValidationLoss:F4} acc {e.ValidationAccuracy:F3}");
        }

        Assert.True(model.Pretrained);
        Assert.Equal([578, 578, 300, 100, 2], model.LayerSizes);
        Assert.True(model.History.Max(e => e.TrainAccuracy) > 0.8, "training accuracy stayed below 0.8");
        Assert.True(model.History.Max(e => e.ValidationAccuracy ?? 0) > 0.75, "validation accuracy stayed below 0.75");
        Assert.Contains(reports, r => r.Stage.StartsWith("SDAE layer 3/3", StringComparison.Ordinal) && r.Epoch == 2 && r.Batch == r.TotalBatches);
        Assert.Contains(reports, r => r.Stage == "Fine-tuning" && r.Epoch == 1 && r.Batch == r.TotalBatches && r.ValidationLoss is not null);

        // Unseen pairs from other positions: matches score higher than non-matches.
        var test = TestPatchSampler.Sample(t1, pd, 200, 200, Patch, seed: 77, maxShift: 20);
        var scores = new double[test.Count];
        model.ScorePairs(test, scores);
        var matchMean = test.Select((p, i) => (p, i)).Where(t => t.p.IsMatch).Average(t => scores[t.i]);
        var nonMatchMean = test.Select((p, i) => (p, i)).Where(t => !t.p.IsMatch).Average(t => scores[t.i]);
        var accuracy = test.Select((p, i) => (scores[i] > 0) == p.IsMatch).Count(ok => ok) / (double)test.Count;
        _output.WriteLine($"unseen pairs: mean score match {matchMean:F2}, non-match {nonMatchMean:F2}, accuracy {accuracy:F3}");
        Assert.True(matchMean > nonMatchMean + 1);
        Assert.True(accuracy > 0.75);
    }

    [SkippableFact]
    public void SameSeedGivesIdenticalModelsAndScoresDifferentSeedDoesNot()
    {
        var pairs = T1PdPairs(150, 150, seed: 31);
        var sdaeOptions = new SdaeOptions { LayerSizes = [64, 32], EpochsPerLayer = 2, Seed = 7 };
        var options = new SimilarityTrainingOptions { HiddenLayerSizes = [64, 32], Epochs = 3, Seed = 7 };

        var sdaeA = SdaeTrainer.Train(pairs, sdaeOptions);
        var sdaeB = SdaeTrainer.Train(pairs, sdaeOptions);
        var a = SimilarityTrainer.Train(pairs, options, sdaeA);
        var b = SimilarityTrainer.Train(pairs, options, sdaeB);
        var c = SimilarityTrainer.Train(pairs, options with { Seed = 8 }, sdaeA);

        for (var i = 0; i < sdaeA.Autoencoders.Count; i++)
        {
            Assert.Equal(sdaeA.Autoencoders[i].Encoder.Weights, sdaeB.Autoencoders[i].Encoder.Weights);
            Assert.Equal(sdaeA.Autoencoders[i].Decoder.Weights, sdaeB.Autoencoders[i].Decoder.Weights);
        }

        for (var i = 0; i < a.Layers.Count; i++)
        {
            Assert.Equal(a.Layers[i].Weights, b.Layers[i].Weights);
            Assert.Equal(a.Layers[i].Bias, b.Layers[i].Bias);
        }

        Assert.Equal(a.History, b.History);
        var sa = Scores(a, pairs);
        Assert.Equal(sa, Scores(b, pairs));
        Assert.NotEqual(sa, Scores(c, pairs));
        Assert.NotEqual(a.Layers[0].Weights, c.Layers[0].Weights);

        var (t1, pd) = T1Pd();
        var centres = TestPatchSampler.Centres(t1, 4, Patch, 5, seed: 4);
        var wa = new float[4 * 11 * 11];
        var wb = new float[wa.Length];
        a.ScoreSearchWindows(t1, pd, centres, Patch, 5, wa);
        b.ScoreSearchWindows(t1, pd, centres, Patch, 5, wb);
        Assert.Equal(wa, wb);
    }

    [SkippableTheory]
    [InlineData(InputNormalization.ImageRange, ActivationKind.Sigmoid)]
    [InlineData(InputNormalization.PatchZScore, ActivationKind.Relu)]
    public void FastSearchWindowsEqualsNaiveReference(InputNormalization normalization, ActivationKind activation)
    {
        var (t1, pd) = T1Pd();
        var pairs = TestPatchSampler.Sample(t1, pd, 200, 200, Patch, seed: 41);
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 2, Seed = 2, Normalization = normalization, Activation = activation });
        const int radius = 8;
        var centres = TestPatchSampler.Centres(t1, 6, Patch, radius, seed: 5);
        var positions = 17 * 17;
        var fast = new float[centres.Count * positions];
        var naive = new float[fast.Length];
        var progress = new List<int>();
        model.ScoringMemoryBudgetBytes = 1; // one query per batch: exercises batching and progress
        model.ScoreSearchWindows(t1, pd, centres, Patch, radius, fast, new SyncProgress<int>(progress.Add));
        model.ScoreSearchWindowsReference(t1, pd, centres, Patch, radius, naive);

        var scale = Math.Max(1, naive.Max(Math.Abs));
        var maxDiff = fast.Zip(naive, (x, y) => Math.Abs(x - y)).Max();
        _output.WriteLine($"{normalization}/{activation}: max |fast - naive| = {maxDiff:G3}, score scale {scale:G3}");
        Assert.True(maxDiff <= 1e-3 * scale, $"fast and naive differ by {maxDiff}");
        Assert.Equal(Enumerable.Range(1, centres.Count), progress);
        Assert.True(naive.Distinct().Count() > positions, "scores are constant: the comparison would prove nothing");

        // Batched (several queries per call) gives the same numbers as one query per batch.
        model.ScoringMemoryBudgetBytes = SimilarityModel.DefaultScoringMemoryBudgetBytes;
        var batched = new float[fast.Length];
        model.ScoreSearchWindows(t1, pd, centres, Patch, radius, batched);
        Assert.True(batched.Zip(fast, (x, y) => Math.Abs(x - y)).Max() <= 1e-4 * scale);
        Assert.True(model.QueriesPerBatch(radius) > 1);
    }

    [SkippableFact]
    public void BFloat16SearchWindowsFindTheSameBestCandidateOnMostQueries()
    {
        var (t1, pd) = T1Pd();
        var pairs = TestPatchSampler.Sample(t1, pd, 1000, 1000, Patch, seed: 42);
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 6, Seed = 2, Activation = ActivationKind.Relu });
        const int radius = 8;
        var centres = TestPatchSampler.Centres(t1, 20, Patch, radius, seed: 6);
        var positions = 17 * 17;
        var f32 = new float[centres.Count * positions];
        var bf16 = new float[f32.Length];
        model.ScoreSearchWindows(t1, pd, centres, Patch, radius, f32);
        model.Precision = ScoringPrecision.BFloat16;
        model.ScoreSearchWindows(t1, pd, centres, Patch, radius, bf16);

        var same = Enumerable.Range(0, centres.Count).Count(q => ArgMax(f32, q * positions, positions) == ArgMax(bf16, q * positions, positions));
        var maxDiff = f32.Zip(bf16, (x, y) => Math.Abs(x - y)).Max();
        _output.WriteLine($"bfloat16: same argmax on {same}/{centres.Count} queries, max |diff| {maxDiff:G3}");
        Assert.True(same >= 0.7 * centres.Count);
        Assert.True(maxDiff > 0, "bfloat16 path gave bit-identical results: it probably did not run in bfloat16");
    }

    [SkippableFact]
    public void ModelFilesRoundTripBitIdentically()
    {
        var (t1, pd) = T1Pd();
        var pairs = TestPatchSampler.Sample(t1, pd, 150, 150, Patch, seed: 51);
        var sdae = SdaeTrainer.Train(pairs, new SdaeOptions { LayerSizes = [578, 300, 100], EpochsPerLayer = 1, Seed = 4 });
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 2, Seed = 4 }, sdae, name: "t1pd");
        var modelPath = Path.Combine(_tempFolder, "model.dsim");
        var sdaePath = Path.Combine(_tempFolder, "sub", "sdae.dsim");
        ModelFile.Save(model, modelPath);
        ModelFile.Save(sdae, sdaePath);
        Assert.Empty(Directory.GetFiles(_tempFolder, "*.tmp", SearchOption.AllDirectories));

        var loaded = ModelFile.LoadSimilarityModel(modelPath);
        Assert.IsType<SdaeModel>(ModelFile.Load(sdaePath));
        var loadedSdae = ModelFile.LoadSdaeModel(sdaePath);

        Assert.Equal("t1pd", loaded.Name);
        Assert.Equal(model.Options.HiddenLayerSizes, loaded.Options.HiddenLayerSizes);
        Assert.Equal(model.Options with { HiddenLayerSizes = loaded.Options.HiddenLayerSizes }, loaded.Options);
        Assert.Equal(model.History, loaded.History);
        Assert.Equal(model.CreatedUtc, loaded.CreatedUtc);
        Assert.Equal(model.BestEpoch, loaded.BestEpoch);
        Assert.True(loaded.Pretrained);
        Assert.Equal(model.LayerSizes, loaded.LayerSizes);
        Assert.Equal(Scores(model, pairs), Scores(loaded, pairs));

        var centres = TestPatchSampler.Centres(t1, 3, Patch, 6, seed: 8);
        var before = new float[3 * 13 * 13];
        var after = new float[before.Length];
        model.ScoreSearchWindows(t1, pd, centres, Patch, 6, before);
        loaded.ScoreSearchWindows(t1, pd, centres, Patch, 6, after);
        for (var i = 0; i < model.Layers.Count; i++)
        {
            Assert.Equal(model.Layers[i].Weights, loaded.Layers[i].Weights);
            Assert.Equal(model.Layers[i].Bias, loaded.Layers[i].Bias);
        }

        Assert.Equal(before, after);
        var again = new float[before.Length];
        loaded.ScoreSearchWindows(t1, pd, centres, Patch, 6, again);
        Assert.Equal(after, again);

        Assert.Equal(sdae.EncoderSizes, loadedSdae.EncoderSizes);
        Assert.Equal(sdae.Options with { LayerSizes = loadedSdae.Options.LayerSizes }, loadedSdae.Options);
        for (var i = 0; i < sdae.Autoencoders.Count; i++)
        {
            Assert.Equal(sdae.Autoencoders[i].Encoder.Weights, loadedSdae.Autoencoders[i].Encoder.Weights);
            Assert.Equal(sdae.Autoencoders[i].Decoder.Bias, loadedSdae.Autoencoders[i].Decoder.Bias);
            Assert.Equal(sdae.Autoencoders[i].EpochReconstructionErrors, loadedSdae.Autoencoders[i].EpochReconstructionErrors);
        }

        // Fine-tuning from the reloaded SDAE starts from the same weights as from the original.
        var retrained = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 2, Seed = 4 }, loadedSdae, name: "t1pd");
        Assert.Equal(model.Layers[0].Weights, retrained.Layers[0].Weights);
    }

    [SkippableFact]
    public void DamagedModelFilesGiveTheirSpecificError()
    {
        var (t1, pd) = T1Pd();
        var pairs = TestPatchSampler.Sample(t1, pd, 40, 40, Patch, seed: 52);
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { HiddenLayerSizes = [16], Epochs = 1 });
        var good = Path.Combine(_tempFolder, "good.dsim");
        ModelFile.Save(model, good);
        var bytes = File.ReadAllBytes(good);

        AssertError(ModelFileError.NotAModelFile, File.ReadAllBytes(TestData.Require("mr-t1-pd-slice/BrainT1Slice.png")));
        AssertError(ModelFileError.NotAModelFile, []);
        AssertError(ModelFileError.Truncated, bytes[..(bytes.Length / 2)]);
        AssertError(ModelFileError.Truncated, bytes[..10]);
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length - 100] ^= 0x10;
        AssertError(ModelFileError.ChecksumMismatch, flipped);
        var future = (byte[])bytes.Clone();
        future[4] = 99;
        AssertError(ModelFileError.UnsupportedVersion, future);

        var wrongKind = Assert.Throws<ModelFileException>(() => ModelFile.LoadSdaeModel(good));
        Assert.Equal(ModelFileError.WrongKind, wrongKind.Error);
        Assert.Contains("good.dsim", wrongKind.Message);

        void AssertError(ModelFileError expected, byte[] content)
        {
            var path = Path.Combine(_tempFolder, $"bad-{expected}-{content.Length}.dsim");
            File.WriteAllBytes(path, content);
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path));
            Assert.Equal(expected, e.Error);
            Assert.Equal(Path.GetFullPath(path), e.Path);
            Assert.Contains(Path.GetFileName(path), e.Message);
        }
    }

    [SkippableFact]
    public void MismatchedSizesGiveClearErrors()
    {
        var (t1, pd) = T1Pd();
        var pairs = TestPatchSampler.Sample(t1, pd, 40, 40, Patch, seed: 53);
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { HiddenLayerSizes = [16], Epochs = 1 });
        var e = Assert.Throws<PatchSizeMismatchException>(() => model.ScoreSearchWindows(t1, pd, [new PatchCenter(90, 100)], 15, 4, new float[81]));
        Assert.Equal(17, e.ModelPatchSize);
        Assert.Equal(15, e.RequestedPatchSize);
        var smallPairs = TestPatchSampler.Sample(t1, pd, 5, 5, 15, seed: 54);
        Assert.Throws<PatchSizeMismatchException>(() => model.ScorePairs(smallPairs, new double[10]));

        var sdae = SdaeTrainer.Train(pairs, new SdaeOptions { LayerSizes = [32, 16], EpochsPerLayer = 1 });
        var mismatch = Assert.Throws<ArgumentException>(() => SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { HiddenLayerSizes = [32, 8], Epochs = 1 }, sdae));
        Assert.Contains("[32, 16]", mismatch.Message);
        Assert.Throws<ArgumentException>(() => SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { HiddenLayerSizes = [32, 16], Epochs = 1, Normalization = InputNormalization.PatchZScore }, sdae));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreSearchWindows(t1, pd, [new PatchCenter(10, 10)], Patch, 4, new float[81]));
    }

    [SkippableFact]
    public void CancellationStopsTrainingAndScoringPromptly()
    {
        var pairs = T1PdPairs(400, 400, seed: 61);
        using var cts = new CancellationTokenSource();
        var afterCancel = 0;
        var sink = new SyncProgress<TrainingProgress>(p =>
        {
            if (cts.IsCancellationRequested)
            {
                afterCancel++;
            }

            if (p.Batch == 3)
            {
                cts.Cancel();
            }
        });
        var watch = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => SdaeTrainer.Train(pairs, new SdaeOptions { EpochsPerLayer = 1000, ProgressEveryBatches = 1 }, sink, cts.Token));
        Assert.Equal(0, afterCancel);
        _output.WriteLine($"SDAE cancelled after {watch.ElapsedMilliseconds} ms");

        using var cts2 = new CancellationTokenSource();
        var batchesSeen = 0;
        var sink2 = new SyncProgress<TrainingProgress>(p =>
        {
            batchesSeen++;
            if (batchesSeen == 2)
            {
                cts2.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 1000, ProgressEveryBatches = 1 }, null, sink2, cts2.Token));
        Assert.Equal(2, batchesSeen);

        var (t1, pd) = T1Pd();
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { HiddenLayerSizes = [16], Epochs = 1 });
        model.ScoringMemoryBudgetBytes = 1;
        using var cts3 = new CancellationTokenSource();
        var done = new List<int>();
        var centres = TestPatchSampler.Centres(t1, 10, Patch, 4, seed: 9);
        Assert.ThrowsAny<OperationCanceledException>(() => model.ScoreSearchWindows(t1, pd, centres, Patch, 4, new float[10 * 81], new SyncProgress<int>(q =>
        {
            done.Add(q);
            if (q == 2)
            {
                cts3.Cancel();
            }
        }), cts3.Token));
        Assert.Equal([1, 2], done);
    }

    [SkippableFact]
    public void FlopCountsFollowTheNetworkShape()
    {
        var (t1, pd) = T1Pd();
        var pairs = TestPatchSampler.Sample(t1, pd, 20, 20, Patch, seed: 55);
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 1 });
        long candidates = 300L * 81 * 81;
        Assert.Equal(2 * candidates * ((578L * 578) + (578L * 300) + (300L * 100) + (100L * 2)), SearchWindowFlops.Naive(model, 300, 40));
        var fast = (300L * 2 * 578 * 289) + (2 * candidates * 578 * 289) + (2 * candidates * ((578L * 300) + (300L * 100) + 100));
        Assert.Equal(fast, SearchWindowFlops.PerQueryWindows(model, 300, 40));
    }

    private static int ArgMax(float[] values, int start, int count)
    {
        var best = start;
        for (var i = start + 1; i < start + count; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best - start;
    }

    private static double[] Scores(SimilarityModel model, IReadOnlyList<PatchPair> pairs)
    {
        var s = new double[pairs.Count];
        model.ScorePairs(pairs, s);
        return s;
    }

    private static double ReconstructionMse(SdaeAutoencoder ae, IReadOnlyList<PatchPair> pairs)
    {
        double sum = 0;
        long count = 0;
        foreach (var p in pairs)
        {
            var x = p.FixedPatch.Select(v => (v - p.FixedRange.Min) / p.FixedRange.Width).ToArray();
            var h = Dense(ae.Encoder, x, sigmoid: true);
            var r = Dense(ae.Decoder, h, sigmoid: !ae.LinearDecoder);
            for (var i = 0; i < x.Length; i++)
            {
                sum += (r[i] - x[i]) * (r[i] - x[i]);
            }

            count += x.Length;
        }

        return sum / count;
    }

    private static float[] Dense(DenseLayer layer, float[] x, bool sigmoid)
    {
        var y = new float[layer.Outputs];
        for (var o = 0; o < layer.Outputs; o++)
        {
            double s = layer.Bias[o];
            for (var i = 0; i < layer.Inputs; i++)
            {
                s += layer.Weights[(o * layer.Inputs) + i] * x[i];
            }

            y[o] = sigmoid ? (float)(1 / (1 + Math.Exp(-s))) : (float)s;
        }

        return y;
    }

    private static (MedicalImage T1, MedicalImage Pd) T1Pd() =>
        (TestPatchSampler.LoadPng(TestData.Require("mr-t1-pd-slice/BrainT1Slice.png")),
         TestPatchSampler.LoadPng(TestData.Require("mr-t1-pd-slice/BrainProtonDensitySlice.png")));

    private static List<PatchPair> T1PdPairs(int positives, int negatives, int seed)
    {
        var (t1, pd) = T1Pd();
        return TestPatchSampler.Sample(t1, pd, positives, negatives, Patch, seed);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
