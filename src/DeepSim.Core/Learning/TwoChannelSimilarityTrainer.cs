using DeepSim.Imaging;
using DeepSim.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Trains a <see cref="TwoChannelSimilarityModel"/> on aligned image pairs with the two-branch CNN's data path
/// (<see cref="FeatureSimilarityTrainer"/>: crops sampled on the fly from random pairs and slices, the same seeded flips,
/// turns, small rotations and per-modality intensity changes, queries drawn where the fixed patch has structure) and a
/// ranking objective over the search neighbourhood: each query's true position is ranked by a softmax (InfoNCE) against
/// <see cref="FeatureTrainingOptions.CandidatesPerQuery"/> sampled candidates, since every candidate costs a forward pass
/// of its own: about half near misses within <see cref="NearRadius"/> voxels (the "exactly here" question), one eighth from
/// the batch's other crops (far negatives) and the rest anywhere in the query's crop (up to a crop away). Candidates within
/// <see cref="FeatureTrainingOptions.PositiveRadius"/> of the true position count as correct, as in the two-branch trainer.
/// Adam with the same cosine-decayed learning rate. Everything is seeded.
/// </summary>
public static class TwoChannelSimilarityTrainer
{
    /// <summary>Chebyshev radius of the near-miss candidates, in voxels.</summary>
    public const int NearRadius = 4;

    /// <summary>
    /// Trains a model. The options must describe a two-channel CNN (2D, no anchor, no context view: start from
    /// <see cref="FeatureTrainingOptions.TwoChannel"/>), else <see cref="ArgumentException"/>; so must the pairs, as for
    /// <see cref="FeatureSimilarityTrainer.Train"/>. Deterministic for a given seed on a given machine. Cancellation is
    /// checked between steps and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static TwoChannelSimilarityModel Train(
        IReadOnlyList<ImagePair> pairs,
        FeatureTrainingOptions options,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        TwoChannelSimilarityModel.ValidateOptions(options);
        var images = FeatureSimilarityTrainer.LoadImages(pairs, options);
        var rng = new Random(options.Seed);
        var c1 = options.Channels;
        var c2 = 2 * options.Channels;
        var field = options.NetworkField;
        var side = TwoChannelSimilarityModel.OutputSide(field);
        ConvLayer[] convInit =
        [
            FeatureSimilarityTrainer.InitConv(c1, 2, 3, 1, 2, rng),
            FeatureSimilarityTrainer.InitConv(c2, c1, 3, 1, 2, rng),
            FeatureSimilarityTrainer.InitConv(c2, c2, 3, 1, 2, rng),
        ];
        DenseLayer[] denseInit =
        [
            TorchTraining.InitLayer(options.HiddenUnits, c2 * side * side, rng, ActivationKind.Relu),
            TorchTraining.InitLayer(1, options.HiddenUnits, rng, ActivationKind.Relu),
        ];
        TorchRuntime.EnsureInitialized();

        var s = options.CropSize;
        var b = options.CropsPerBatch;
        var k = options.QueriesPerCrop;
        var m = options.CandidatesPerQuery;
        var outSide = s - options.PatchSize + 1;
        var grid = outSide * outSide;
        var preparedSide = s - options.PatchSize + field;
        var preparedLength = preparedSide * preparedSide;
        var inner = field - 2;
        var rows = b * k * m;
        var history = new List<TrainingEpoch>();
        ConvLayer[] convBest;
        DenseLayer[] denseBest;
        using (var scope = NewDisposeScope())
        {
            var convParams = convInit.Select(l => (W: TorchTraining.NewParameter(l.Weights, l.WeightShape), B: TorchTraining.NewParameter(l.Bias, l.Outputs))).ToArray();
            var denseParams = denseInit.Select(l => (W: TorchTraining.NewParameter(l.Weights, l.Outputs, l.Inputs), B: TorchTraining.NewParameter(l.Bias, l.Outputs))).ToArray();
            var convNet = convParams.Select(p => ((Tensor)p.W, (Tensor)p.B)).ToArray();
            var denseNet = denseParams.Select(p => ((Tensor)p.W, (Tensor)p.B)).ToArray();
            var all = convParams.Concat(denseParams).SelectMany(p => new Parameter[] { p.W, p.B }).ToList();
            using var optimizer = new HeldAdam(all, options.LearningRate, options.WeightDecay);
            var totalSteps = options.Epochs * options.StepsPerEpoch;
            var fixedCrop = new float[s * s];
            var movingCrop = new float[s * s];
            var fixedPrepared = new float[b * preparedLength];
            var movingPrepared = new float[b * preparedLength];
            var structure = new double[grid];
            var queries = new long[b * k];
            var candidateCrop = new int[m];
            var candidatePosition = new int[m];
            var fixedRows = new long[rows];
            var movingRows = new long[rows];
            var noBias = zeros(options.Channels);
            var logMask = new float[b * k * m];
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                double lossSum = 0;
                long correct = 0;
                long seen = 0;
                for (var step = 1; step <= options.StepsPerEpoch; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var stepScope = NewDisposeScope();
                    var global = ((epoch - 1) * options.StepsPerEpoch) + step - 1;
                    optimizer.LearningRate = FeatureSimilarityTrainer.LearningRateAt(options, global, totalSteps);
                    for (var c = 0; c < b; c++)
                    {
                        FeatureSimilarityTrainer.SampleCrop(images[rng.Next(images.Count)], options, rng, fixedCrop, movingCrop, s, structure);
                        FeatureSimilarityModel.Prepare(options, fixedCrop, s, s).CopyTo(fixedPrepared.AsSpan(c * preparedLength, preparedLength));
                        FeatureSimilarityModel.Prepare(options, movingCrop, s, s).CopyTo(movingPrepared.AsSpan(c * preparedLength, preparedLength));
                        FeatureSimilarityTrainer.PickQueries(structure, k, rng, queries.AsSpan(c * k, k), 0);
                    }

                    // Candidates may come from any crop of the batch, so they are drawn once every crop is prepared.
                    var row = 0;
                    for (var i = 0; i < b * k; i++)
                    {
                        var c = i / k;
                        var q = (int)queries[i];
                        SampleCandidates(q, c, b, outSide, m, rng, candidateCrop, candidatePosition);
                        for (var j = 0; j < m; j++, row++)
                        {
                            var p = candidatePosition[j];
                            fixedRows[row] = (c * grid) + q;
                            movingRows[row] = (candidateCrop[j] * grid) + p;
                            var positive = candidateCrop[j] == c && Math.Abs((p % outSide) - (q % outSide)) <= options.PositiveRadius && Math.Abs((p / outSide) - (q / outSide)) <= options.PositiveRadius;
                            // A finite stand-in for -infinity (exp(-1e4) is 0 in float32), as the two-branch trainer's mask.
                            logMask[row] = positive ? 0f : -1e4f;
                        }
                    }

                    // The first convolution per crop and channel, densely; each pair's sum is its fixed and moving windows' sum.
                    var (fixedWeight, movingWeight) = TwoChannelSimilarityModel.SplitFirst(convNet[0].Item1);
                    var fixedWindows = Windows(fixedPrepared, b, preparedSide, inner, fixedWeight, noBias);
                    var movingWindows = Windows(movingPrepared, b, preparedSide, inner, movingWeight, convNet[0].Item2);
                    var sums = fixedWindows.index_select(0, tensor(fixedRows, dtype: ScalarType.Int64))
                        .add(movingWindows.index_select(0, tensor(movingRows, dtype: ScalarType.Int64)), HeldScalars.One)
                        .view(rows, -1, inner, inner);
                    var logits = TwoChannelSimilarityModel.Head(sums, convNet, denseNet).view(b * k, m);
                    var mask = TorchTraining.FromArray(logMask, [b * k, m]);
                    var loss = (logits.logsumexp(1) - logits.add(mask, HeldScalars.One).logsumexp(1)).mean();
                    optimizer.ZeroGrad();
                    loss.backward();
                    optimizer.Step();
                    var lossValue = loss.item<float>();
                    if (!float.IsFinite(lossValue))
                    {
                        throw new InvalidOperationException($"Training diverged at epoch {epoch}, step {step} (loss {lossValue}); lower the learning rate ({options.LearningRate}).");
                    }

                    lossSum += lossValue * b * k;
                    var best = logits.argmax(1).data<long>().ToArray();
                    for (var i = 0; i < best.Length; i++)
                    {
                        if (logMask[(i * m) + (int)best[i]] == 0f)
                        {
                            correct++;
                        }
                    }

                    seen += b * k;
                    if (progress is not null && step % options.ProgressEverySteps == 0 && step < options.StepsPerEpoch)
                    {
                        progress.Report(new TrainingProgress("Two-channel training", 0, epoch, options.Epochs, step, options.StepsPerEpoch, lossSum / seen, (double)correct / seen));
                    }
                }

                var record = new TrainingEpoch(epoch, lossSum / seen, (double)correct / seen, null, null);
                history.Add(record);
                progress?.Report(new TrainingProgress("Two-channel training", 0, epoch, options.Epochs, options.StepsPerEpoch, options.StepsPerEpoch, record.TrainLoss, record.TrainAccuracy));
            }

            convBest = [.. convParams.Select(p => new ConvLayer((int)p.W.shape[0], (int)p.W.shape[1], 3, 1, TorchTraining.ToArray(p.W), TorchTraining.ToArray(p.B)))];
            denseBest = [.. denseParams.Select(p => new DenseLayer((int)p.W.shape[0], (int)p.W.shape[1], TorchTraining.ToArray(p.W), TorchTraining.ToArray(p.B)))];
        }

        return new TwoChannelSimilarityModel(
            name ?? $"DeepSim-2ch-{options.PatchSize}x{options.PatchSize}", convBest, denseBest, options, history, pairs.Count, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// One channel's first-layer part of every grid position of every crop: the prepared crops [crops x side^2] convolved
    /// with that channel's weights, then every inner x inner window, as rows [crops x grid, C x inner^2].
    /// </summary>
    private static Tensor Windows(float[] prepared, int crops, int side, int inner, Tensor weight, Tensor bias)
    {
        var maps = FeatureSimilarityModel.Convolve(TorchTraining.FromArray(prepared, [crops, 1, side, side]), weight, bias, 1);
        var channels = maps.shape[1];
        return maps.unfold(2, inner, 1).unfold(3, inner, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, channels * inner * inner);
    }

    /// <summary>
    /// The candidates of query <paramref name="q"/> (a position of the (outSide)^2 grid of crop <paramref name="crop"/>):
    /// the true position first, then about half near misses within <see cref="NearRadius"/> (Chebyshev, inside the crop,
    /// never the true position itself), one eighth from another crop of the batch (with one crop: its own) and the rest
    /// anywhere in the query's crop.
    /// </summary>
    internal static void SampleCandidates(int q, int crop, int crops, int outSide, int count, Random rng, Span<int> candidateCrop, Span<int> candidatePosition)
    {
        var qx = q % outSide;
        var qy = q / outSide;
        var near = (count - 1) / 2;
        var far = crops > 1 ? (count - 1) / 8 : 0;
        candidateCrop[0] = crop;
        candidatePosition[0] = q;
        for (var j = 1; j < count; j++)
        {
            if (j <= near)
            {
                int x, y;
                do
                {
                    x = Math.Clamp(qx + rng.Next(-NearRadius, NearRadius + 1), 0, outSide - 1);
                    y = Math.Clamp(qy + rng.Next(-NearRadius, NearRadius + 1), 0, outSide - 1);
                }
                while (x == qx && y == qy);

                candidateCrop[j] = crop;
                candidatePosition[j] = (y * outSide) + x;
            }
            else if (j <= near + far)
            {
                var other = rng.Next(crops - 1);
                candidateCrop[j] = other >= crop ? other + 1 : other;
                candidatePosition[j] = rng.Next(outSide * outSide);
            }
            else
            {
                candidateCrop[j] = crop;
                candidatePosition[j] = rng.Next(outSide * outSide);
            }
        }
    }
}
