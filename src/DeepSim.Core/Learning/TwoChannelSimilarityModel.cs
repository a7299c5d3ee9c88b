using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Runtime;
using DeepSim.Similarity;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// A learned similarity on the stacked patches (the two-channel CNN of Simonovsky et al., MICCAI 2016): the fixed and
/// the moving patch, each range-scaled and (by default) locally standardised as the two-branch CNN's input, are the two
/// channels of one image; a 3x3 convolution with ReLU, a 3x3 max-pooling with stride 2, two more 3x3 convolutions with
/// ReLU, then a hidden fully connected ReLU layer and one linear output, which is the score (higher is more similar).
/// Unlike <see cref="FeatureSimilarityModel"/> it has no per-image feature maps: every candidate pair takes a forward
/// pass of its own (batched), and it cannot drive <c>Register-Image</c>. Weights are plain arrays; tensors exist only
/// during a call.
/// </summary>
public sealed class TwoChannelSimilarityModel : ISimilarityMetric
{
    /// <summary>Pairs per forward pass of <see cref="ScorePairs"/>.</summary>
    internal const int ScoringBatch = 4096;

    /// <summary>Side and stride of the max-pooling after the first convolution.</summary>
    internal const int PoolKernel = 3;

    /// <inheritdoc cref="PoolKernel"/>
    internal const int PoolStride = 2;

    private readonly ConvLayer[] _convolutions;
    private readonly DenseLayer[] _dense;

    /// <summary>Creates a model (used by <see cref="TwoChannelSimilarityTrainer"/> and <see cref="ModelFile"/>).</summary>
    public TwoChannelSimilarityModel(
        string name,
        IReadOnlyList<ConvLayer> convolutions,
        IReadOnlyList<DenseLayer> dense,
        FeatureTrainingOptions options,
        IReadOnlyList<TrainingEpoch> history,
        int trainingImageCount,
        DateTimeOffset createdUtc)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(convolutions);
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        ValidateOptions(options);
        if (convolutions.Count != ConvolutionCount || convolutions[0].Inputs != 2 || convolutions.Any(l => l.Dimensions != 2 || l.Kernel != 3 || l.Dilation != 1))
        {
            throw new ArgumentException($"A two-channel CNN has {ConvolutionCount} 2D 3x3 convolutions (dilation 1), the first taking the 2 stacked patches.", nameof(convolutions));
        }

        for (var i = 1; i < convolutions.Count; i++)
        {
            if (convolutions[i].Inputs != convolutions[i - 1].Outputs)
            {
                throw new ArgumentException($"Convolution {i} takes {convolutions[i].Inputs} channels but convolution {i - 1} gives {convolutions[i - 1].Outputs}.", nameof(convolutions));
            }
        }

        var side = OutputSide(options.NetworkField);
        var flat = convolutions[^1].Outputs * side * side;
        if (dense.Count < 1 || dense[0].Inputs != flat || dense[^1].Outputs != 1)
        {
            throw new ArgumentException($"The fully connected layers must take the {convolutions[^1].Outputs} x {side} x {side} = {flat} convolution outputs and end in 1 output.", nameof(dense));
        }

        for (var i = 1; i < dense.Count; i++)
        {
            if (dense[i].Inputs != dense[i - 1].Outputs)
            {
                throw new ArgumentException($"Layer {i} takes {dense[i].Inputs} inputs but layer {i - 1} gives {dense[i - 1].Outputs}.", nameof(dense));
            }
        }

        Name = name;
        _convolutions = [.. convolutions];
        _dense = [.. dense];
        Options = options;
        History = history;
        TrainingImageCount = trainingImageCount;
        CreatedUtc = createdUtc;
    }

    /// <summary>Number of convolutions: one before the pooling, two after it.</summary>
    public const int ConvolutionCount = 3;

    /// <summary>Name shown in tables; may be changed (e.g. on import).</summary>
    public string Name { get; set; }

    /// <summary>Side of the square patches it scores.</summary>
    public int PatchSize => Options.PatchSize;

    /// <inheritdoc />
    public int? RequiredPatchSize => PatchSize;

    /// <summary>2: the model scores square patches of slices.</summary>
    public int? RequiredPatchDimension => 2;

    /// <summary>The convolutions, input to output (2 -> Channels, max-pooling, Channels -> 2 Channels -> 2 Channels).</summary>
    public IReadOnlyList<ConvLayer> Convolutions => _convolutions;

    /// <summary>The fully connected layers after the convolutions; the last has 1 output, the score.</summary>
    public IReadOnlyList<DenseLayer> Dense => _dense;

    /// <summary>The options it was trained with (the two-branch CNN's settings; <see cref="FeatureTrainingOptions.CandidatesPerQuery"/> and <see cref="FeatureTrainingOptions.HiddenUnits"/> are its own).</summary>
    public FeatureTrainingOptions Options { get; }

    /// <summary>Per-epoch InfoNCE loss and top-1 accuracy over the sampled candidates.</summary>
    public IReadOnlyList<TrainingEpoch> History { get; }

    /// <summary>The epoch whose weights the model holds (the last: training has no validation split).</summary>
    public int BestEpoch => History.Count;

    /// <summary>Number of image pairs it was trained on.</summary>
    public int TrainingImageCount { get; }

    /// <summary>When training finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>The DeepSim model file format version this model is written with.</summary>
    public int FormatVersion => ModelFile.CurrentVersion;

    /// <summary>Trainable parameters.</summary>
    public long ParameterCount => _convolutions.Sum(l => (long)l.Weights.Length + l.Bias.Length) + _dense.Sum(l => (long)l.Weights.Length + l.Bias.Length);

    /// <summary>Side of the last convolution's output for a network input of side <paramref name="field"/> (0 or less: too small).</summary>
    internal static int OutputSide(int field) => ((field - 2 - PoolKernel) / PoolStride) + 1 - 4;

    /// <summary>Throws <see cref="ArgumentException"/> when the options do not describe a two-channel CNN.</summary>
    internal static void ValidateOptions(FeatureTrainingOptions options)
    {
        options.Validate();
        if (options.Dimensions != 2 || options.Anchor != FeatureScoreAnchor.None || options.ContextScale != 0)
        {
            throw new ArgumentException("The two-channel CNN scores 2D patches with its network alone: FeatureTrainingOptions.Dimensions must be 2, Anchor None and ContextScale 0.", nameof(options));
        }

        if (OutputSide(options.NetworkField) < 1)
        {
            throw new ArgumentException($"FeatureTrainingOptions.PatchSize {options.PatchSize} is too small for the two-channel CNN: its network input ({options.NetworkField}x{options.NetworkField} after the normalisation margins) must be at least 13x13.", nameof(options));
        }
    }

    /// <inheritdoc />
    public void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default)
    {
        if (!PairScoringChecks.Validate(Name, PatchSize, 2, pairs, scores))
        {
            return;
        }

        TorchRuntime.EnsureInitialized();
        var field = Options.NetworkField;
        var length = field * field;
        var scaled = new float[PatchSize * PatchSize];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var net = ToTensors();
        for (var start = 0; start < pairs.Count; start += ScoringBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var chunkScope = NewDisposeScope();
            var len = Math.Min(ScoringBatch, pairs.Count - start);
            var input = new float[len * 2 * length];
            for (var i = 0; i < len; i++)
            {
                var p = pairs[start + i];
                FeatureSimilarityModel.Scale(p.FixedPatch, p.FixedRange, scaled);
                FeatureSimilarityModel.Prepare(Options, scaled, PatchSize, PatchSize).CopyTo(input.AsSpan(2 * i * length, length));
                FeatureSimilarityModel.Scale(p.MovingPatch, p.MovingRange, scaled);
                FeatureSimilarityModel.Prepare(Options, scaled, PatchSize, PatchSize).CopyTo(input.AsSpan(((2 * i) + 1) * length, length));
            }

            var values = Forward(TorchTraining.FromArray(input, [len, 2, field, field]), net.Convolutions, net.Dense).contiguous().data<float>().ToArray();
            for (var i = 0; i < len; i++)
            {
                scores[start + i] = values[i];
            }
        }
    }

    /// <summary>
    /// Scores every candidate of every query's search window (see <see cref="ISimilarityMetric.ScoreSearchWindows"/>).
    /// The first convolution is linear in its two input channels, so each touched slice of both images is range-scaled,
    /// prepared (locally standardised) and convolved with its channel's weights once; a query then adds its fixed patch's
    /// part to the moving part of each of its (2R + 1)^2 candidates and runs the rest of the network on them in one batch
    /// (6,561 pairs at radius 40) without gradients. The scores equal <see cref="ScorePairs"/> of the same pairs up to
    /// float32 rounding (the sums are taken in another order). Progress reports the queries completed; cancellation is
    /// checked between queries.
    /// </summary>
    public void ScoreSearchWindows(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (patchSize != PatchSize)
        {
            throw new PatchSizeMismatchException(Name, PatchSize, patchSize);
        }

        var job = new SearchWindowJob(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        if (centres.Count == 0)
        {
            return;
        }

        TorchRuntime.EnsureInitialized();
        var field = Options.NetworkField;
        var inner = field - 2;
        var margin = (PatchSize - field) / 2;
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var candidates = job.Candidates;
        var width = job.Width;
        var half = job.Half;
        var channels = _convolutions[0].Outputs;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var net = ToTensors();
        var (fixedWeight, movingWeight) = SplitFirst(net.Convolutions[0].W);
        var noBias = zeros(channels);
        var completed = 0;
        foreach (var z in job.Slices())
        {
            using var sliceScope = NewDisposeScope();
            var fixedMap = FirstLayerMap(PreparedSlice(fixedImage, z, fixedRange), job.SizeX - (2 * margin), job.SizeY - (2 * margin), fixedWeight, noBias);
            var movingMap = FirstLayerMap(PreparedSlice(movingImage, z, movingRange), job.SizeX - (2 * margin), job.SizeY - (2 * margin), movingWeight, net.Convolutions[0].B);
            for (var q = 0; q < centres.Count; q++)
            {
                if (centres[q].Z != z)
                {
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                using var queryScope = NewDisposeScope();
                // The patch with top-left voxel (x0, y0) has its first-layer outputs at (x0, y0) of the maps.
                var x0 = centres[q].X - half;
                var y0 = centres[q].Y - half;
                var fixedPart = fixedMap.narrow(1, y0, inner).narrow(2, x0, inner).unsqueeze(0);
                var movingPart = CandidateWindows(movingMap.narrow(1, y0 - radius, width + inner - 1).narrow(2, x0 - radius, width + inner - 1), inner);
                var values = Head(movingPart.add(fixedPart, HeldScalars.One), net.Convolutions, net.Dense).contiguous().data<float>().ToArray();
                values.CopyTo(scores.Slice(q * candidates, candidates));
                progress?.Report(++completed);
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: two-channel CNN ({Options.Normalization} input) 2-{string.Join("-", _convolutions.Select(l => l.Outputs))} conv (3x3, max-pool {PoolKernel}/{PoolStride} after the first) -> {string.Join("-", _dense.Select(l => l.Outputs))} (patch {PatchSize}, {History.Count} epochs)";

    /// <summary>
    /// The network on stacked inputs [N, 2, F, F] (F = <see cref="FeatureTrainingOptions.NetworkField"/>): the scores [N].
    /// The convolutions are <see cref="FeatureSimilarityModel.Convolve"/> (im2col and one matrix product, the path whose
    /// gradients ConvGradientTests checks).
    /// </summary>
    internal static Tensor Forward(Tensor x, IReadOnlyList<(Tensor W, Tensor B)> convolutions, IReadOnlyList<(Tensor W, Tensor B)> dense) =>
        Head(FeatureSimilarityModel.Convolve(x, convolutions[0].W, convolutions[0].B, 1), convolutions, dense);

    /// <summary>
    /// The network after the first convolution's sum [N, C, F - 2, F - 2] (before its ReLU): ReLU, max-pooling, the other
    /// convolutions with ReLU, the fully connected layers; the scores [N]. The first convolution is linear in its two
    /// input channels, so its sum can also be assembled from dense maps of each image (<see cref="FirstLayerMap"/>): that
    /// is how searches and training share the fixed patch's and the moving image's part among candidates.
    /// </summary>
    internal static Tensor Head(Tensor firstLayerSum, IReadOnlyList<(Tensor W, Tensor B)> convolutions, IReadOnlyList<(Tensor W, Tensor B)> dense)
    {
        var h = nn.functional.max_pool2d(nn.functional.relu(firstLayerSum), PoolKernel, PoolStride);
        for (var i = 1; i < convolutions.Count; i++)
        {
            h = nn.functional.relu(FeatureSimilarityModel.Convolve(h, convolutions[i].W, convolutions[i].B, 1));
        }

        return NetworkTensors.Forward(h.flatten(1), dense, ActivationKind.Relu).squeeze(1);
    }

    /// <summary>The first convolution's weights [C, 2, 3, 3] split into the fixed channel's and the moving channel's [C, 1, 3, 3] (views).</summary>
    internal static (Tensor Fixed, Tensor Moving) SplitFirst(Tensor weight) => (weight.narrow(1, 0, 1), weight.narrow(1, 1, 1));

    /// <summary>One channel's part of the first convolution over a whole prepared image (row-major, width x height): [C, height - 2, width - 2].</summary>
    internal static Tensor FirstLayerMap(float[] prepared, int width, int height, Tensor weight, Tensor bias) =>
        FeatureSimilarityModel.Convolve(TorchTraining.FromArray(prepared, [1, 1, height, width]), weight, bias, 1).squeeze(0);

    /// <summary>Every side x side window of a map [C, H, W], as [(H - side + 1) (W - side + 1), C, side, side] (row-major over the window positions).</summary>
    internal static Tensor CandidateWindows(Tensor map, int side)
    {
        var channels = map.shape[0];
        var windows = map.unfold(1, side, 1).unfold(2, side, 1);
        return windows.permute(1, 2, 0, 3, 4).reshape(-1, channels, side, side);
    }

    private ((Tensor W, Tensor B)[] Convolutions, (Tensor W, Tensor B)[] Dense) ToTensors() =>
        ([.. _convolutions.Select(l => (TorchTraining.FromArray(l.Weights, l.WeightShape), TorchTraining.FromArray(l.Bias, [l.Outputs])))],
         [.. NetworkTensors.Create(_dense).Layers]);

    /// <summary>Slice <paramref name="z"/> of an image, range-scaled and prepared as the network input (row-major, the normalisation margins removed).</summary>
    private float[] PreparedSlice(MedicalImage image, int z, IntensityRange range)
    {
        var length = image.SizeX * image.SizeY;
        var scaled = new float[length];
        FeatureSimilarityModel.Scale(image.VoxelSpan.Slice(z * length, length), range, scaled);
        return FeatureSimilarityModel.Prepare(Options, scaled, image.SizeX, image.SizeY);
    }
}
