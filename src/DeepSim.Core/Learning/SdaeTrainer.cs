using DeepSim.Patches;
using DeepSim.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Layer-wise pre-training of a multimodal stacked denoising autoencoder on patch pairs (labels are ignored).
/// Level 1 trains one autoencoder per modality (fixed patch, moving patch); each further level trains a shared
/// autoencoder on the concatenated codes of the level below. Every autoencoder minimises
/// 0.5 * ||decode(encode(corrupt(x))) - x||^2 (mean over the batch) + beta * sum_j KL(rho || mean_j h) + lambda/2 * ||W||^2,
/// with sigmoid hidden units; the reconstruction is a sigmoid (inputs in [0, 1]) except at level 1 with
/// <see cref="InputNormalization.PatchZScore"/>, where it is linear.
/// </summary>
public static class SdaeTrainer
{
    /// <summary>
    /// Trains the SDAE. Deterministic for a given seed on a given machine. Cancellation is checked between batches and
    /// throws <see cref="OperationCanceledException"/>; nothing is returned then.
    /// </summary>
    public static SdaeModel Train(
        IReadOnlyList<PatchPair> pairs,
        SdaeOptions options,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (patchSize, dimension) = PatchInputs.CommonShape(pairs);
        var n = Imaging.MedicalImage.PatchLength(patchSize, dimension);
        var inputs = PatchInputs.Build(pairs, options.Normalization);
        TorchRuntime.EnsureInitialized();

        var rng = new Random(options.Seed);
        using var generator = new Generator(TorchTraining.DeriveSeed(options.Seed, 1), CPU);
        var levels = options.LayerSizes.Length;
        var half = options.LayerSizes[0] / 2;
        var result = new List<SdaeAutoencoder>();

        using (var scope = NewDisposeScope())
        {
            var data = TorchTraining.FromArray(inputs, [pairs.Count, 2 * n]);
            var fixedData = data.narrow(1, 0, n);
            var movingData = data.narrow(1, n, n);
            var linearFirst = options.Normalization == InputNormalization.PatchZScore;

            var fixedAe = TrainAutoencoder(fixedData, half, linearFirst, 1, "fixed", $"SDAE layer 1/{levels} (fixed)", options, rng, generator, progress, cancellationToken);
            var movingAe = TrainAutoencoder(movingData, half, linearFirst, 1, "moving", $"SDAE layer 1/{levels} (moving)", options, rng, generator, progress, cancellationToken);
            result.Add(fixedAe);
            result.Add(movingAe);

            Tensor codes;
            using (no_grad())
            {
                codes = cat([Encode(fixedData, fixedAe.Encoder), Encode(movingData, movingAe.Encoder)], 1);
            }

            for (var level = 2; level <= levels; level++)
            {
                var ae = TrainAutoencoder(codes, options.LayerSizes[level - 1], false, level, "shared", $"SDAE layer {level}/{levels}", options, rng, generator, progress, cancellationToken);
                result.Add(ae);
                using (no_grad())
                {
                    codes = Encode(codes, ae.Encoder);
                }
            }
        }

        return new SdaeModel(patchSize, options.Normalization, options, result, pairs.Count, DateTimeOffset.UtcNow);
    }

    private static Tensor Encode(Tensor x, DenseLayer layer)
    {
        var w = TorchTraining.FromArray(layer.Weights, [layer.Outputs, layer.Inputs]);
        var b = TorchTraining.FromArray(layer.Bias, [layer.Outputs]);
        return sigmoid(nn.functional.linear(x, w, b));
    }

    private static SdaeAutoencoder TrainAutoencoder(
        Tensor input,
        int hidden,
        bool linearDecoder,
        int level,
        string name,
        string stage,
        SdaeOptions o,
        Random rng,
        Generator generator,
        IProgress<TrainingProgress>? progress,
        CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        var count = (int)input.shape[0];
        var width = (int)input.shape[1];
        var enc = TorchTraining.InitLayer(hidden, width, rng, ActivationKind.Sigmoid);
        var dec = TorchTraining.InitLayer(width, hidden, rng, ActivationKind.Sigmoid);
        var we = TorchTraining.NewParameter(enc.Weights, hidden, width);
        var be = TorchTraining.NewParameter(enc.Bias, hidden);
        var wd = TorchTraining.NewParameter(dec.Weights, width, hidden);
        var bd = TorchTraining.NewParameter(dec.Bias, width);
        using var optimizer = TorchTraining.CreateOptimizer(o.Optimizer, [we, be, wd, bd], o.LearningRate, o.Momentum);
        var rho = o.SparsityTarget;

        var order = new long[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        var batches = TorchTraining.BatchCount(count, o.BatchSize);
        var epochErrors = new double[o.EpochsPerLayer];
        for (var epoch = 1; epoch <= o.EpochsPerLayer; epoch++)
        {
            double errorSum = 0;
            long seen = 0;
            Tensor? squared = null;
            TorchTraining.MiniBatchEpoch(
                order,
                o.BatchSize,
                rng,
                optimizer,
                (rows, len) =>
                {
                    var x = input.index_select(0, rows);
                    using var level = o.CorruptionLevel.ToScalar();
                    var corrupted = o.Corruption == CorruptionKind.Masking
                        ? x * rand([len, width], generator: generator).ge(level).to_type(ScalarType.Float32)
                        : x.add(randn([len, width], generator: generator).mul(level), HeldScalars.One);
                    var h = sigmoid(nn.functional.linear(corrupted, we, be));
                    var r = nn.functional.linear(h, wd, bd);
                    if (!linearDecoder)
                    {
                        r = sigmoid(r);
                    }

                    var diff = r - x;
                    squared = diff.pow(HeldScalars.OfInteger(2));
                    using var halfOverLength = (0.5 / len).ToScalar();
                    var loss = squared.sum().mul(halfOverLength);
                    if (o.SparsityWeight > 0)
                    {
                        // KL(rho || rhoHat) = rho log(rho / rhoHat) + (1 - rho) log((1 - rho) / (1 - rhoHat)), summed.
                        using var rhoScalar = rho.ToScalar();
                        using var oneMinusRho = (1 - rho).ToScalar();
                        using var sparsityWeight = o.SparsityWeight.ToScalar();
                        var rhoHat = h.mean([0]).clamp(HeldScalars.Of(1e-6), HeldScalars.Of(1 - 1e-6));
                        var oneMinusRhoHat = rhoHat.negative().add(HeldScalars.OfInteger(1), HeldScalars.One);
                        var kl = rhoHat.reciprocal().mul(rhoScalar).log().mul(rhoScalar)
                            .add(oneMinusRhoHat.reciprocal().mul(oneMinusRho).log().mul(oneMinusRho), HeldScalars.One).sum();
                        loss = loss.add(kl.mul(sparsityWeight), HeldScalars.One);
                    }

                    if (o.WeightDecay > 0)
                    {
                        loss = loss.add(TorchTraining.WeightDecayPenalty([we, wd], o.WeightDecay), HeldScalars.One);
                    }

                    return loss;
                },
                (done, len) =>
                {
                    errorSum += squared!.mean().item<float>() * len;
                    seen += len;
                    if (progress is not null && done % o.ProgressEveryBatches == 0 && done < batches)
                    {
                        progress.Report(new TrainingProgress(stage, level, epoch, o.EpochsPerLayer, done, batches, errorSum / seen));
                    }
                },
                ct);

            epochErrors[epoch - 1] = errorSum / seen;
            progress?.Report(new TrainingProgress(stage, level, epoch, o.EpochsPerLayer, batches, batches, epochErrors[epoch - 1]));
        }

        double meanActivation;
        using (no_grad())
        {
            meanActivation = sigmoid(nn.functional.linear(input, we, be)).mean().item<float>();
        }

        var encoder = new DenseLayer(hidden, width, TorchTraining.ToArray(we), TorchTraining.ToArray(be));
        var decoder = new DenseLayer(width, hidden, TorchTraining.ToArray(wd), TorchTraining.ToArray(bd));
        return new SdaeAutoencoder(level, name, encoder, decoder, linearDecoder, epochErrors, epochErrors[^1], meanActivation);
    }
}
