using DeepSim.Patches;
using DeepSim.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Supervised training of the similarity network on Match / NonMatch patch pairs (two-way softmax, cross-entropy,
/// L2 weight decay), optionally starting from an SDAE's encoders, with a seeded stratified validation split and
/// early stopping that restores the best-validation weights.
/// </summary>
public static class SimilarityTrainer
{
    /// <summary>
    /// Trains a similarity model. With <paramref name="pretrained"/>, the bottom layers start from its encoders
    /// (level 1 as a block-diagonal layer); its patch size, normalisation and layer sizes must agree with the
    /// options, else <see cref="ArgumentException"/>. Deterministic for a given seed on a given machine.
    /// Cancellation is checked between batches and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static SimilarityModel Train(
        IReadOnlyList<PatchPair> pairs,
        SimilarityTrainingOptions options,
        SdaeModel? pretrained = null,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (patchSize, dimension) = PatchInputs.CommonShape(pairs);
        var inputWidth = 2 * Imaging.MedicalImage.PatchLength(patchSize, dimension);
        var labels = PatchInputs.Labels(pairs);
        if (!labels.Contains(0) || !labels.Contains(1))
        {
            throw new ArgumentException("Training needs both Match and NonMatch pairs.", nameof(pairs));
        }

        var rng = new Random(options.Seed);
        var initial = InitialLayers(patchSize, dimension, options, pretrained, rng);
        var inputs = PatchInputs.Build(pairs, options.Normalization);
        var (trainIdx, validIdx) = Split(labels, options.ValidationFraction, rng);
        var standard = options.StandardizeInputs ? InputStandardization.Fit(inputs, inputWidth, trainIdx) : InputStandardization.Identity(inputWidth);
        standard.Apply(inputs);
        initial[0] = standard.ToStandardizedSpace(initial[0], pretrained is not null);
        TorchRuntime.EnsureInitialized();

        var history = new List<TrainingEpoch>();
        DenseLayer[] best;
        var bestEpoch = 0;
        using (var scope = NewDisposeScope())
        {
            var data = TorchTraining.FromArray(inputs, [pairs.Count, inputWidth]);
            var target = tensor(labels, dtype: ScalarType.Int64);
            var parameters = initial.Select(l => (W: TorchTraining.NewParameter(l.Weights, l.Outputs, l.Inputs), B: TorchTraining.NewParameter(l.Bias, l.Outputs))).ToArray();
            var asTensors = parameters.Select(p => ((Tensor)p.W, (Tensor)p.B)).ToArray();
            using var optimizer = TorchTraining.CreateOptimizer(options.Optimizer, parameters.SelectMany(p => new Parameter[] { p.W, p.B }), options.LearningRate, options.Momentum);
            var validX = validIdx.Length > 0 ? data.index_select(0, tensor(validIdx, dtype: ScalarType.Int64)) : null;
            var validY = validIdx.Length > 0 ? target.index_select(0, tensor(validIdx, dtype: ScalarType.Int64)) : null;

            best = Snapshot(parameters);
            var bestLoss = double.PositiveInfinity;
            var sinceBest = 0;
            var batches = TorchTraining.BatchCount(trainIdx.Length, options.BatchSize);
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                using var epochScope = NewDisposeScope();
                double lossSum = 0;
                long correct = 0;
                long seen = 0;
                Tensor? batchLabels = null;
                Tensor? batchLogits = null;
                Tensor? batchCe = null;
                TorchTraining.MiniBatchEpoch(
                    trainIdx,
                    options.BatchSize,
                    rng,
                    optimizer,
                    (rows, len) =>
                    {
                        var x = data.index_select(0, rows);
                        batchLabels = target.index_select(0, rows);
                        batchLogits = NetworkTensors.Forward(x, asTensors, options.Activation);
                        batchCe = nn.functional.cross_entropy(batchLogits, batchLabels);
                        return options.WeightDecay > 0 ? batchCe.add(TorchTraining.WeightDecayPenalty(parameters.Select(p => (Tensor)p.W), options.WeightDecay), HeldScalars.One) : batchCe;
                    },
                    (done, len) =>
                    {
                        lossSum += batchCe!.item<float>() * len;
                        correct += batchLogits!.argmax(1).eq(batchLabels!).sum().item<long>();
                        seen += len;
                        if (progress is not null && done % options.ProgressEveryBatches == 0 && done < batches)
                        {
                            progress.Report(new TrainingProgress("Fine-tuning", 0, epoch, options.Epochs, done, batches, lossSum / seen, (double)correct / seen));
                        }
                    },
                    cancellationToken);

                double? validLoss = null;
                double? validAccuracy = null;
                if (validX is not null && validY is not null)
                {
                    using var noGrad = no_grad();
                    var logits = NetworkTensors.Forward(validX, asTensors, options.Activation);
                    validLoss = nn.functional.cross_entropy(logits, validY).item<float>();
                    validAccuracy = logits.argmax(1).eq(validY).sum().item<long>() / (double)validIdx.Length;
                }

                var record = new TrainingEpoch(epoch, lossSum / seen, (double)correct / seen, validLoss, validAccuracy);
                history.Add(record);
                progress?.Report(new TrainingProgress("Fine-tuning", 0, epoch, options.Epochs, batches, batches, record.TrainLoss, record.TrainAccuracy, validLoss, validAccuracy));

                var monitored = validLoss ?? double.NaN;
                if (validLoss is null)
                {
                    best = Snapshot(parameters);
                    bestEpoch = epoch;
                }
                else if (monitored < bestLoss)
                {
                    bestLoss = monitored;
                    best = Snapshot(parameters);
                    bestEpoch = epoch;
                    sinceBest = 0;
                }
                else if (options.EarlyStoppingPatience is int patience && ++sinceBest >= patience)
                {
                    break;
                }
            }

            }

        best[0] = standard.ToRawSpace(best[0]);
        return new SimilarityModel(
            name ?? $"DeepSim-{patchSize}x{patchSize}",
            patchSize,
            options.Normalization,
            options.Activation,
            best,
            options,
            history,
            bestEpoch,
            pretrained is not null,
            pairs.Count,
            DateTimeOffset.UtcNow);
    }

    private static DenseLayer[] Snapshot((Parameter W, Parameter B)[] parameters) =>
        [.. parameters.Select(p => new DenseLayer((int)p.W.shape[0], (int)p.W.shape[1], TorchTraining.ToArray(p.W), TorchTraining.ToArray(p.B)))];

    private static List<DenseLayer> InitialLayers(int patchSize, int dimension, SimilarityTrainingOptions options, SdaeModel? pretrained, Random rng)
    {
        var sizes = options.HiddenLayerSizes;
        var layers = new List<DenseLayer>();
        var stack = Array.Empty<DenseLayer>();
        if (pretrained is not null)
        {
            if (pretrained.PatchSize != patchSize)
            {
                throw new ArgumentException($"The SDAE was trained on {pretrained.PatchSize}x{pretrained.PatchSize} patches but the pairs are {patchSize}x{patchSize}.", nameof(pretrained));
            }

            if (pretrained.PatchDimension != dimension)
            {
                throw new ArgumentException($"The SDAE was trained on {pretrained.PatchDimension}D patches but the pairs are {dimension}D.", nameof(pretrained));
            }

            if (pretrained.Normalization != options.Normalization)
            {
                throw new ArgumentException($"The SDAE was trained with {pretrained.Normalization} input normalisation but the options ask for {options.Normalization}.", nameof(pretrained));
            }

            var encoderSizes = pretrained.EncoderSizes;
            if (encoderSizes.Length > sizes.Length || !encoderSizes.SequenceEqual(sizes.Take(encoderSizes.Length)))
            {
                throw new ArgumentException($"The SDAE's encoder sizes [{string.Join(", ", encoderSizes)}] must equal the first hidden layer sizes [{string.Join(", ", sizes)}] of the similarity network.", nameof(pretrained));
            }

            stack = [.. pretrained.GetEncoderStack()];
        }

        var inputs = 2 * Imaging.MedicalImage.PatchLength(patchSize, dimension);
        for (var i = 0; i <= sizes.Length; i++)
        {
            var outputs = i < sizes.Length ? sizes[i] : 2;
            var random = TorchTraining.InitLayer(outputs, inputs, rng, options.Activation);
            layers.Add(i < stack.Length ? stack[i].Clone() : random);
            inputs = outputs;
        }

        return layers;
    }

    private static (long[] Train, long[] Validation) Split(long[] labels, double fraction, Random rng)
    {
        var train = new List<long>();
        var valid = new List<long>();
        foreach (var cls in new long[] { 0, 1 })
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == cls).Select(i => (long)i).ToArray();
            TorchTraining.Shuffle(members, rng);
            var take = fraction > 0 ? (int)Math.Round(members.Length * fraction) : 0;
            take = Math.Min(take, members.Length - 1);
            valid.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }

        var trainArray = train.ToArray();
        TorchTraining.Shuffle(trainArray, rng);
        return (trainArray, [.. valid]);
    }
}
