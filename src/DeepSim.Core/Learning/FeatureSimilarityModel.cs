using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Runtime;
using DeepSim.Similarity;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>Which branch of a <see cref="FeatureSimilarityModel"/> (one per modality) describes an image.</summary>
public enum FeatureBranch
{
    /// <summary>The fixed image's branch (e.g. CT).</summary>
    Fixed,

    /// <summary>The moving image's branch (e.g. MR).</summary>
    Moving,
}

/// <summary>
/// A learned similarity made of two small fully convolutional networks, one per modality (3x3 convolutions with
/// dilations 1, 2, 4, ... and ReLU, then a 1x1 convolution), whose receptive field is exactly one patch. Each maps an
/// image, once, to a unit-length feature vector per voxel (<see cref="ComputeFeatureMaps(MedicalImage, FeatureBranch, CancellationToken)"/>); the score of a fixed
/// patch and a moving patch is the cosine of their two vectors. Scoring a search window is therefore one dot product
/// per candidate, and the same maps serve registration. Optional terms: a trained weight times the patches' LCC
/// (<see cref="Anchor"/>) and a trained weight times the cosine of a second, downsampled view of a larger
/// neighbourhood (<see cref="ContextScale"/>). Weights are plain arrays; tensors exist only during a call.
/// </summary>
public sealed class FeatureSimilarityModel : ISimilarityMetric, IFeatureMapModel
{
    private readonly ConvLayer[] _fixedLayers;
    private readonly ConvLayer[] _movingLayers;
    private readonly ConvLayer[] _fixedContextLayers;
    private readonly ConvLayer[] _movingContextLayers;

    /// <summary>Creates a model (used by <see cref="FeatureSimilarityTrainer"/> and <see cref="ModelFile"/>).</summary>
    public FeatureSimilarityModel(
        string name,
        int patchSize,
        IReadOnlyList<ConvLayer> fixedLayers,
        IReadOnlyList<ConvLayer> movingLayers,
        FeatureTrainingOptions options,
        IReadOnlyList<TrainingEpoch> history,
        int trainingImageCount,
        DateTimeOffset createdUtc,
        double anchorWeight = 0,
        IReadOnlyList<ConvLayer>? fixedContextLayers = null,
        IReadOnlyList<ConvLayer>? movingContextLayers = null,
        double contextWeight = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(fixedLayers);
        ArgumentNullException.ThrowIfNull(movingLayers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        if (options.PatchSize != patchSize)
        {
            throw new ArgumentException($"The options' patch size {options.PatchSize} differs from the model's {patchSize}.", nameof(options));
        }

        CheckBranch(fixedLayers, options, nameof(fixedLayers));
        CheckBranch(movingLayers, options, nameof(movingLayers));
        if (fixedLayers[^1].Outputs != movingLayers[^1].Outputs)
        {
            throw new ArgumentException($"Both branches must end in the same feature length ({fixedLayers[^1].Outputs} vs {movingLayers[^1].Outputs}).", nameof(movingLayers));
        }

        if (options.Anchor == FeatureScoreAnchor.None ? anchorWeight != 0 : !(double.IsFinite(anchorWeight) && anchorWeight >= 0))
        {
            throw new ArgumentException($"The anchor weight {anchorWeight} does not fit the anchor {options.Anchor} (None needs 0, Lcc a finite weight >= 0).", nameof(anchorWeight));
        }

        fixedContextLayers ??= [];
        movingContextLayers ??= [];
        if (options.ContextScale == 0)
        {
            if (fixedContextLayers.Count != 0 || movingContextLayers.Count != 0 || contextWeight != 0)
            {
                throw new ArgumentException("A model without a context view (ContextScale 0) takes no context layers and a context weight of 0.", nameof(fixedContextLayers));
            }
        }
        else
        {
            var contextField = (options.ContextScale * (options.NetworkField - 1)) + 1;
            CheckBranch(fixedContextLayers, options, contextField, nameof(fixedContextLayers));
            CheckBranch(movingContextLayers, options, contextField, nameof(movingContextLayers));
            if (fixedContextLayers[^1].Outputs != movingContextLayers[^1].Outputs)
            {
                throw new ArgumentException($"Both context streams must end in the same feature length ({fixedContextLayers[^1].Outputs} vs {movingContextLayers[^1].Outputs}).", nameof(movingContextLayers));
            }

            if (!(double.IsFinite(contextWeight) && contextWeight >= 0))
            {
                throw new ArgumentException($"The context weight {contextWeight} must be a finite number >= 0.", nameof(contextWeight));
            }
        }

        Name = name;
        PatchSize = patchSize;
        ContextWeight = contextWeight;
        _fixedContextLayers = [.. fixedContextLayers];
        _movingContextLayers = [.. movingContextLayers];
        AnchorWeight = anchorWeight;
        _fixedLayers = [.. fixedLayers];
        _movingLayers = [.. movingLayers];
        Options = options;
        History = history;
        TrainingImageCount = trainingImageCount;
        CreatedUtc = createdUtc;
    }

    /// <summary>Name shown in tables; may be changed (e.g. on import).</summary>
    public string Name { get; set; }

    /// <summary>Side of the patch one feature vector describes (the receptive field).</summary>
    public int PatchSize { get; }

    /// <inheritdoc />
    public int? RequiredPatchSize => PatchSize;

    /// <summary>
    /// 2: the model scores square patches of slices (a 3D search with it is a DimensionMismatch); 3: cubic patches of
    /// volumes (<see cref="FeatureTrainingOptions.Dimensions"/>), searched with <see cref="ScoreSearchCubes"/>.
    /// </summary>
    public int? RequiredPatchDimension => Options.Dimensions;

    /// <summary>2 (square patches, 2D convolutions) or 3 (cubic patches of volumes, 3D convolutions).</summary>
    public int Dimensions => Options.Dimensions;

    /// <summary>2 (square patches of 2D images) or 3 (cubes of volumes), as <see cref="Dimensions"/> (<see cref="IFeatureMapModel"/>).</summary>
    public int FeatureMapDimension => Dimensions;

    /// <summary>Half side of the LCC anchor's windows (<see cref="FeatureTrainingOptions.AnchorWindowRadius"/>).</summary>
    public int AnchorWindowRadius => Options.AnchorWindowRadius;

    /// <summary>What the score adds to the cosine (<see cref="FeatureTrainingOptions.Anchor"/>).</summary>
    public FeatureScoreAnchor Anchor => Options.Anchor;

    /// <summary>
    /// The trained weight of the anchor term: the score is cosine + AnchorWeight x LCC (0 when <see cref="Anchor"/> is
    /// <see cref="FeatureScoreAnchor.None"/>).
    /// </summary>
    public double AnchorWeight { get; }

    /// <summary>Length of a feature vector (of the patch stream; the context stream's comes on top, see <see cref="MapChannels"/>).</summary>
    public int FeatureDimension => _fixedLayers[^1].Outputs;

    /// <summary>The context view's downsampling factor (<see cref="FeatureTrainingOptions.ContextScale"/>; 0: none).</summary>
    public int ContextScale => Options.ContextScale;

    /// <summary>The trained weight of the context view: the score adds ContextWeight x the cosine of the context vectors (0 without a context view).</summary>
    public double ContextWeight { get; }

    /// <summary>The fixed image's context convolutions (empty without a context view).</summary>
    public IReadOnlyList<ConvLayer> FixedContextLayers => _fixedContextLayers;

    /// <summary>The moving image's context convolutions (empty without a context view).</summary>
    public IReadOnlyList<ConvLayer> MovingContextLayers => _movingContextLayers;

    /// <summary>
    /// Values per voxel of a <see cref="FeatureMaps"/>: <see cref="FeatureDimension"/>, plus the context vector's length
    /// with a context view (the fixed maps then hold [patch vector, ContextWeight x context vector], the moving maps
    /// [patch vector, context vector], so one dot product gives cosine + ContextWeight x context cosine).
    /// </summary>
    public int MapChannels => FeatureDimension + (_fixedContextLayers.Length == 0 ? 0 : _fixedContextLayers[^1].Outputs);

    /// <summary>The fixed image's convolutions, input to output.</summary>
    public IReadOnlyList<ConvLayer> FixedLayers => _fixedLayers;

    /// <summary>The moving image's convolutions, input to output.</summary>
    public IReadOnlyList<ConvLayer> MovingLayers => _movingLayers;

    /// <summary>The options it was trained with.</summary>
    public FeatureTrainingOptions Options { get; }

    /// <summary>Per-epoch InfoNCE loss and top-1 accuracy (the fraction of training queries whose true position scored highest).</summary>
    public IReadOnlyList<TrainingEpoch> History { get; }

    /// <summary>The epoch whose weights the model holds (the last: training has no validation split).</summary>
    public int BestEpoch => History.Count;

    /// <summary>Number of image pairs it was trained on.</summary>
    public int TrainingImageCount { get; }

    /// <summary>When training finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>The DeepSim model file format version this model is written with.</summary>
    public int FormatVersion => ModelFile.CurrentVersion;

    /// <summary>Trainable parameters of both branches.</summary>
    public long ParameterCount => _fixedLayers.Concat(_movingLayers).Concat(_fixedContextLayers).Concat(_movingContextLayers).Sum(l => (long)l.Weights.Length + l.Bias.Length);

    /// <summary>Worker threads of <see cref="ScoreSearchWindows"/>' dot products (-1: all cores). Not saved.</summary>
    public int MaxDegreeOfParallelism { get; set; } = -1;

    /// <summary>
    /// The unit-length feature vector of every patch of <paramref name="image"/> from one branch, on the image's grid
    /// (see <see cref="FeatureMaps"/>; with a context view followed by the context vector, <see cref="MapChannels"/>
    /// values per voxel). Intensities are scaled by the image's own range first, as in training.
    /// A 2D model processes a volume slice by slice (square patches); a 3D model the whole volume (cubic patches; voxels
    /// closer than half a patch to any face, z included, hold zero vectors).
    /// </summary>
    public FeatureMaps ComputeFeatureMaps(MedicalImage image, FeatureBranch branch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (Dimensions == 3)
        {
            return ComputeVolumeMaps(image, branch, cancellationToken);
        }

        var slices = Enumerable.Range(0, image.SizeZ).ToArray();
        return ComputeMaps(image, branch, slices, cancellationToken);
    }

    /// <summary>
    /// As <see cref="ComputeFeatureMaps(MedicalImage, FeatureBranch, CancellationToken)"/>, with intensities scaled by
    /// <paramref name="range"/> instead of the image's own range (e.g. a resampled moving image scaled as the original).
    /// </summary>
    public FeatureMaps ComputeFeatureMaps(MedicalImage image, FeatureBranch branch, IntensityRange? range, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (Dimensions == 3)
        {
            return ComputeVolumeMaps(image, branch, cancellationToken, range);
        }

        var slices = Enumerable.Range(0, image.SizeZ).ToArray();
        return ComputeMaps(image, branch, slices, cancellationToken, range);
    }

    /// <inheritdoc />
    public void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default)
    {
        if (!PairScoringChecks.Validate(Name, PatchSize, Dimensions, pairs, scores))
        {
            return;
        }

        TorchRuntime.EnsureInitialized();
        const int chunk = 2048;
        var n = Options.PatchLength;
        var side = Options.NetworkField;
        var inputLength = Dimensions == 3 ? side * side * side : side * side;
        long[] inputShape = Dimensions == 3 ? [0, 1, side, side, side] : [0, 1, side, side];
        var scaled = new float[n];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var fixedNet = ToTensors(_fixedLayers);
        var movingNet = ToTensors(_movingLayers);
        var fixedContextNet = ContextScale > 0 ? ToTensors(_fixedContextLayers) : null;
        var movingContextNet = ContextScale > 0 ? ToTensors(_movingContextLayers) : null;
        for (var start = 0; start < pairs.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var chunkScope = NewDisposeScope();
            var len = Math.Min(chunk, pairs.Count - start);
            var fx = new float[len * inputLength];
            var mx = new float[len * inputLength];
            for (var i = 0; i < len; i++)
            {
                var p = pairs[start + i];
                Scale(p.FixedPatch, p.FixedRange, scaled);
                Prepare(scaled, PatchSize, PatchSize, PatchSize).CopyTo(fx.AsSpan(i * inputLength, inputLength));
                Scale(p.MovingPatch, p.MovingRange, scaled);
                Prepare(scaled, PatchSize, PatchSize, PatchSize).CopyTo(mx.AsSpan(i * inputLength, inputLength));
            }

            inputShape[0] = len;
            var f = Embed(TorchTraining.FromArray(fx, inputShape), fixedNet).view(len, -1);
            var m = Embed(TorchTraining.FromArray(mx, inputShape), movingNet).view(len, -1);
            var values = (f * m).sum(1).contiguous().data<float>().ToArray();
            if (ContextScale > 0)
            {
                var fc = EmbedContextOfPatches(pairs, start, len, true, fixedContextNet!);
                var mc = EmbedContextOfPatches(pairs, start, len, false, movingContextNet!);
                var context = (fc * mc).sum(1).contiguous().data<float>().ToArray();
                var cw = (float)ContextWeight;
                for (var i = 0; i < len; i++)
                {
                    values[i] += cw * context[i];
                }
            }

            for (var i = 0; i < len; i++)
            {
                scores[start + i] = values[i];
            }
        }

        if (Anchor == FeatureScoreAnchor.Lcc)
        {
            // In float32, as the search-window path adds them.
            var lcc = AnchorMetric();
            var weight = (float)AnchorWeight;
            for (var i = 0; i < pairs.Count; i++)
            {
                var p = pairs[i];
                var term = weight * (float)lcc.ScorePatches(p.FixedPatch, p.MovingPatch, p.PatchSize, p.FixedRange, p.MovingRange);
                scores[i] = (float)scores[i] + term;
            }
        }
    }

    /// <summary>
    /// Scores every candidate of every query's search window (see <see cref="ISimilarityMetric.ScoreSearchWindows"/>):
    /// the feature maps of the touched slices of both images are computed once (one convolution pass per branch and
    /// slice), then each candidate's score is the dot product of the query's fixed vector with the candidate's moving
    /// vector. Equals scoring every candidate pair with <see cref="ScorePairs"/> (up to float rounding). Cancellation
    /// is checked and progress reported per query.
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
        if (Dimensions == 3)
        {
            throw new PatchSizeMismatchException(Name, PatchSize, patchSize, 3, 2);
        }

        if (patchSize != PatchSize)
        {
            throw new PatchSizeMismatchException(Name, PatchSize, patchSize);
        }

        var job = new SearchWindowJob(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        if (centres.Count == 0)
        {
            return;
        }

        var slices = job.Slices();
        var fixedMaps = ComputeMaps(fixedImage, FeatureBranch.Fixed, slices, cancellationToken);
        var movingMaps = ComputeMaps(movingImage, FeatureBranch.Moving, slices, cancellationToken);
        var width = job.Width;
        var positions = job.Candidates;
        var d = MapChannels;
        var output = new float[(long)centres.Count * positions];
        job.ForEachQuery<object?>(
            MaxDegreeOfParallelism,
            () => null,
            (q, _) =>
            {
                var c = centres[q];
                var f = fixedMaps.Values.AsSpan((int)fixedMaps.IndexOf(c.X, c.Y, c.Z), d);
                var target = output.AsSpan(q * positions, positions);
                for (var dy = -radius; dy <= radius; dy++)
                {
                    var row = movingMaps.Values.AsSpan((int)movingMaps.IndexOf(c.X - radius, c.Y + dy, c.Z), width * d);
                    var t = target.Slice((dy + radius) * width, width);
                    for (var k = 0; k < width; k++)
                    {
                        t[k] = Dot(f, row.Slice(k * d, d));
                    }
                }
            },
            progress,
            cancellationToken);
        // The LCC metric's own search (box sums per candidate), then score = cosine + weight x LCC, in float32.
        AddAnchor(output, (lcc, buffer) => lcc.ScoreSearchWindows(fixedImage, movingImage, centres, patchSize, radius, buffer, null, cancellationToken));
        output.CopyTo(scores);
    }

    /// <summary>
    /// The 3D search of a model of cubic patches (see <see cref="ISimilarityMetric.ScoreSearchCubes"/>): both volumes'
    /// feature maps are computed once (one 3D convolution pass per branch), then each candidate's score is the dot product
    /// of the query's fixed vector with the candidate's moving vector, plus the anchor weight times the 3D LCC of the two
    /// cubes (LocalCrossCorrelationMetric.ScoreSearchCubes). Equals scoring every candidate pair with
    /// <see cref="ScorePairs"/> (up to float rounding).
    /// </summary>
    /// <exception cref="PatchSizeMismatchException">The model scores square (2D) patches, or another patch size.</exception>
    public void ScoreSearchCubes(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (Dimensions != 3 || patchSize != PatchSize)
        {
            throw new PatchSizeMismatchException(Name, PatchSize, patchSize, Dimensions, 3);
        }

        var w = SearchWindowScoring.ValidateCubes(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        if (centres.Count == 0)
        {
            return;
        }

        var fixedMaps = ComputeVolumeMaps(fixedImage, FeatureBranch.Fixed, cancellationToken);
        var movingMaps = ComputeVolumeMaps(movingImage, FeatureBranch.Moving, cancellationToken);
        var candidates = w * w * w;
        var d = FeatureDimension;
        var output = new float[(long)centres.Count * candidates];
        var completed = 0;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = MaxDegreeOfParallelism <= 0 ? -1 : MaxDegreeOfParallelism };
        Parallel.For(0, centres.Count, parallel, q =>
        {
            var c = centres[q];
            var f = fixedMaps.Values.AsSpan((int)fixedMaps.IndexOf(c.X, c.Y, c.Z), d);
            var target = output.AsSpan(q * candidates, candidates);
            var k = 0;
            for (var dz = -radius; dz <= radius; dz++)
            {
                for (var dy = -radius; dy <= radius; dy++)
                {
                    var row = movingMaps.Values.AsSpan((int)movingMaps.IndexOf(c.X - radius, c.Y + dy, c.Z + dz), w * d);
                    for (var x = 0; x < w; x++, k++)
                    {
                        target[k] = Dot(f, row.Slice(x * d, d));
                    }
                }
            }

            progress?.Report(Interlocked.Increment(ref completed));
        });
        AddAnchor(output, (lcc, buffer) => lcc.ScoreSearchCubes(fixedImage, movingImage, centres, patchSize, radius, buffer, null, cancellationToken));
        output.CopyTo(scores);
    }

    /// <summary>With the LCC anchor: adds AnchorWeight x the LCC search's scores (<paramref name="search"/> fills a buffer like <paramref name="output"/>) to the cosines, in float32.</summary>
    private void AddAnchor(float[] output, Action<LocalCrossCorrelationMetric, float[]> search)
    {
        if (Anchor != FeatureScoreAnchor.Lcc)
        {
            return;
        }

        var lcc = new float[output.Length];
        search(AnchorMetric(), lcc);
        var weight = (float)AnchorWeight;
        for (var i = 0; i < output.Length; i++)
        {
            output[i] += weight * lcc[i];
        }
    }

    /// <summary>The LCC measure of the anchor term (squared coefficient, the anchor's window radius), with this model's thread limit.</summary>
    public LocalCrossCorrelationMetric AnchorMetric() =>
        new(Options.AnchorWindowRadius, squared: true) { MaxDegreeOfParallelism = MaxDegreeOfParallelism };

    /// <summary>Floating-point operations (multiply and add counted separately) of the dot products of a search (the feature maps come on top, once per slice).</summary>
    public long CountSearchWindowFlops(int queries, int radius) => 2L * queries * (long)Math.Pow((2L * radius) + 1, Dimensions) * MapChannels;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: two-branch {Dimensions}D CNN ({Options.Normalization} input) {Options.Channels}x{_fixedLayers.Length - 1} conv (dilations {string.Join(",", _fixedLayers.Take(_fixedLayers.Length - 1).Select(l => l.Dilation))}) -> {FeatureDimension} features{(ContextScale > 0 ? $" + {ContextWeight:G3} x context cosine ({Options.ContextExtent}x{Options.ContextExtent} at 1/{ContextScale})" : string.Empty)}{(Anchor == FeatureScoreAnchor.Lcc ? $" + {AnchorWeight:G3} x LCC" : string.Empty)} (patch {PatchSize}, {History.Count} epochs)";

    /// <summary>Dot product of two equally long vectors (SIMD).</summary>
    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = System.Numerics.Vector<float>.Zero;
        var width = System.Numerics.Vector<float>.Count;
        var i = 0;
        for (; i <= a.Length - width; i += width)
        {
            sum += new System.Numerics.Vector<float>(a.Slice(i, width)) * new System.Numerics.Vector<float>(b.Slice(i, width));
        }

        var total = System.Numerics.Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    /// <summary>Added to the squared length before the square root when vectors are scaled to unit length.</summary>
    internal const double NormEpsilon = 1e-4;

    /// <summary>The branch as tensors: weight, bias, dilation per layer.</summary>
    internal static (Tensor W, Tensor B, int Dilation)[] ToTensors(IReadOnlyList<ConvLayer> layers) =>
        [.. layers.Select(l => (TorchTraining.FromArray(l.Weights, l.WeightShape), TorchTraining.FromArray(l.Bias, [l.Outputs]), l.Dilation))];

    /// <summary>
    /// Runs a branch (valid convolutions, ReLU between them) and scales every output vector to unit length: [N, 1, H, W]
    /// to [N, D, H - P + 1, W - P + 1], or in 3D [N, 1, Z, H, W] to [N, D, Z - P + 1, H - P + 1, W - P + 1].
    /// </summary>
    internal static Tensor Embed(Tensor x, IReadOnlyList<(Tensor W, Tensor B, int Dilation)> layers)
    {
        var h = x;
        for (var i = 0; i < layers.Count; i++)
        {
            var (w, b, dilation) = layers[i];
            h = Convolve(h, w, b, dilation);
            if (i < layers.Count - 1)
            {
                h = nn.functional.relu(h);
            }
        }

        // The small constant keeps the gradient bounded where a branch's output vanishes (it would be 1/|h|).
        var norm = h.pow(HeldScalars.OfInteger(2)).sum(1, keepdim: true).add(HeldScalars.Of(NormEpsilon), HeldScalars.One).sqrt();
        return h / norm;
    }

    /// <summary>
    /// A valid, stride-1, dilated 2D or 3D convolution (the input's rank: [N, Cin, H, W] or [N, Cin, Z, H, W]) as im2col
    /// and one matrix product: the K^2 (K^3) shifted views of the input are stacked to [N, Cin * K^2, H' * W'] and
    /// multiplied by the weights [Cout, Cin * K^2]. libtorch's own conv2d is not used because on x86 CPUs with AVX-512
    /// its float32 backward (oneDNN) returned gradients off by ~50 % for 8 and 12 channels (and NaN in training), while
    /// 4, 16 and 32 were right; slicing, stacking and the matrix product avoid that path (ConvGradientTests checks
    /// float32 against float64 and finite differences, in 2D and 3D).
    /// </summary>
    internal static Tensor Convolve(Tensor x, Tensor weight, Tensor bias, int dilation)
    {
        var k = (int)weight.shape[2];
        var cout = weight.shape[0];
        var n = x.shape[0];
        var cin = x.shape[1];
        var axes = x.shape.Length - 2;
        var outShape = new long[axes];
        long positions = 1;
        for (var a = 0; a < axes; a++)
        {
            outShape[a] = x.shape[2 + a] - (dilation * (k - 1));
            positions *= outShape[a];
        }

        Tensor columns;
        if (k == 1)
        {
            columns = x.reshape(n, cin, positions);
        }
        else
        {
            var taps = (int)Math.Pow(k, axes);
            var views = new List<Tensor>(taps);
            for (var t = 0; t < taps; t++)
            {
                // Tap t in row-major kernel order (the last axis fastest), as weight.reshape(Cout, Cin * K^axes) orders it.
                var view = x;
                var rest = t;
                for (var a = axes - 1; a >= 0; a--)
                {
                    view = view.narrow(2 + a, rest % k * dilation, outShape[a]);
                    rest /= k;
                }

                views.Add(view);
            }

            // [N, Cin, K^axes, spatial...] -> [N, Cin * K^axes, positions].
            columns = stack(views, 2).reshape(n, cin * taps, positions);
        }

        var y = weight.reshape(cout, -1).matmul(columns).add(bias.reshape(1, cout, 1), HeldScalars.One);
        return y.reshape([n, cout, .. outShape]);
    }

    /// <summary>
    /// The network input of a range-scaled image or patch (row-major, width x height, and for a 3D model x depth):
    /// itself, or with <see cref="FeatureInputNormalization.Local"/> its local standardisation (in 3D box windows for a
    /// 3D model), 2 r smaller on each axis. A 2D model ignores <paramref name="depth"/>.
    /// </summary>
    internal float[] Prepare(float[] scaled, int width, int height, int depth) => Prepare(Options, scaled, width, height, depth);

    /// <inheritdoc cref="Prepare(float[], int, int, int)"/>
    internal static float[] Prepare(FeatureTrainingOptions options, float[] scaled, int width, int height, int depth = 1) =>
        options.Normalization != FeatureInputNormalization.Local
            ? scaled
            : options.Dimensions == 3
                ? LocalStandardization.Apply3D(scaled, width, height, depth, options.NormalizationRadius, options.NormalizationEpsilon)
                : LocalStandardization.Apply(scaled, width, height, options.NormalizationRadius, options.NormalizationEpsilon);

    /// <summary>
    /// The context stream's input of a range-scaled image or patch (row-major, width x height): the means of
    /// (2 <see cref="FeatureTrainingOptions.ContextBoxRadius"/> + 1)^2 boxes ("valid"), then, with local input, their
    /// standardisation in windows <see cref="FeatureTrainingOptions.ContextScale"/> times the patch stream's.
    /// </summary>
    internal static float[] PrepareContext(FeatureTrainingOptions options, float[] scaled, int width, int height, out (int Width, int Height) size)
    {
        var r = options.ContextBoxRadius;
        var boxed = BoxMean(scaled, width, height, r);
        width -= 2 * r;
        height -= 2 * r;
        if (options.Normalization == FeatureInputNormalization.Local)
        {
            var radius = options.NormalizationRadius * options.ContextScale;
            boxed = LocalStandardization.Apply(boxed, width, height, radius, options.NormalizationEpsilon);
            width -= 2 * radius;
            height -= 2 * radius;
        }

        size = (width, height);
        return boxed;
    }

    /// <summary>Means of the (2r+1)^2 boxes of a row-major image, "valid" ((width - 2r) x (height - 2r)); sums in float64.</summary>
    internal static float[] BoxMean(ReadOnlySpan<float> image, int width, int height, int radius)
    {
        var k = (2 * radius) + 1;
        var outW = width - (2 * radius);
        var outH = height - (2 * radius);
        if (outW < 1 || outH < 1)
        {
            throw new ArgumentException($"A {width}x{height} image is too small for {k}x{k} boxes.", nameof(image));
        }

        var rows = new double[outW * height];
        for (var y = 0; y < height; y++)
        {
            double sum = 0;
            for (var x = 0; x < width; x++)
            {
                sum += image[(y * width) + x];
                if (x >= k)
                {
                    sum -= image[(y * width) + x - k];
                }

                if (x >= k - 1)
                {
                    rows[(y * outW) + x - k + 1] = sum;
                }
            }
        }

        var result = new float[outW * outH];
        var n = (double)k * k;
        for (var x = 0; x < outW; x++)
        {
            double sum = 0;
            for (var y = 0; y < height; y++)
            {
                sum += rows[(y * outW) + x];
                if (y >= k)
                {
                    sum -= rows[((y - k) * outW) + x];
                }

                if (y >= k - 1)
                {
                    result[((y - k + 1) * outW) + x] = (float)(sum / n);
                }
            }
        }

        return result;
    }

    /// <summary>A row-major image extended by <paramref name="pad"/> voxels on every side, the edge values repeated.</summary>
    internal static float[] PadReplicate(ReadOnlySpan<float> image, int width, int height, int pad)
    {
        var w = width + (2 * pad);
        var result = new float[w * (height + (2 * pad))];
        for (var y = 0; y < height + (2 * pad); y++)
        {
            var sy = Math.Clamp(y - pad, 0, height - 1);
            for (var x = 0; x < w; x++)
            {
                result[(y * w) + x] = image[(sy * width) + Math.Clamp(x - pad, 0, width - 1)];
            }
        }

        return result;
    }

    /// <summary>Scales raw intensities by an image's range into [0, 1], as training and scoring do.</summary>
    internal static void Scale(ReadOnlySpan<float> raw, IntensityRange range, Span<float> destination)
    {
        var width = range.Width;
        for (var i = 0; i < raw.Length; i++)
        {
            destination[i] = (raw[i] - range.Min) / width;
        }
    }

    /// <summary>The context vectors [len, D] of one side of pairs[start .. start + len), each patch edge-replicated to the context extent.</summary>
    private Tensor EmbedContextOfPatches(IReadOnlyList<PatchPair> pairs, int start, int len, bool fixedSide, IReadOnlyList<(Tensor W, Tensor B, int Dilation)> net)
    {
        var pad = Options.ContextMargin;
        var side = PatchSize + (2 * pad);
        var scaled = new float[PatchSize * PatchSize];
        float[]? batch = null;
        var inputSide = (0, 0);
        for (var i = 0; i < len; i++)
        {
            var p = pairs[start + i];
            Scale(fixedSide ? p.FixedPatch : p.MovingPatch, fixedSide ? p.FixedRange : p.MovingRange, scaled);
            var input = PrepareContext(Options, PadReplicate(scaled, PatchSize, PatchSize, pad), side, side, out inputSide);
            batch ??= new float[len * input.Length];
            input.CopyTo(batch.AsSpan(i * input.Length, input.Length));
        }

        return Embed(TorchTraining.FromArray(batch!, [len, 1, inputSide.Item2, inputSide.Item1]), net).view(len, -1);
    }

    private FeatureMaps ComputeMaps(MedicalImage image, FeatureBranch branch, IReadOnlyList<int> slices, CancellationToken cancellationToken, IntensityRange? scaling = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var half = PatchSize / 2;
        var d = MapChannels;
        var dPatch = FeatureDimension;
        var values = new float[(long)image.SizeX * image.SizeY * image.SizeZ * d];
        var maps = new FeatureMaps(values, d, image.SizeX, image.SizeY, image.SizeZ, half);
        if (image.SizeX < PatchSize || image.SizeY < PatchSize)
        {
            return maps;
        }

        TorchRuntime.EnsureInitialized();
        var range = scaling ?? IntensityRange.Of(image);
        var sliceLength = image.SizeX * image.SizeY;
        var voxels = image.VoxelSpan;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var net = ToTensors(branch == FeatureBranch.Fixed ? _fixedLayers : _movingLayers);
        var contextNet = ContextScale > 0 ? ToTensors(branch == FeatureBranch.Fixed ? _fixedContextLayers : _movingContextLayers) : null;
        // The fixed maps carry the context weight, so a single dot product gives the whole score.
        var contextFactor = branch == FeatureBranch.Fixed ? (float)ContextWeight : 1f;
        var w = image.SizeX - PatchSize + 1;
        var h = image.SizeY - PatchSize + 1;
        var slice = new float[sliceLength];
        foreach (var z in slices)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var sliceScope = NewDisposeScope();
            Scale(voxels.Slice(z * sliceLength, sliceLength), range, slice);
            var margin = (PatchSize - Options.NetworkField) / 2;
            var input = Prepare(slice, image.SizeX, image.SizeY, 1);
            var f = Embed(TorchTraining.FromArray(input, [1, 1, image.SizeY - (2 * margin), image.SizeX - (2 * margin)]), net).squeeze(0).permute(1, 2, 0).contiguous();
            var data = f.data<float>().ToArray();
            if (contextNet is null)
            {
                for (var y = 0; y < h; y++)
                {
                    data.AsSpan(y * w * d, w * d).CopyTo(values.AsSpan((int)maps.IndexOf(half, y + half, z), w * d));
                }

                continue;
            }

            // The context view of the slice, its edges replicated so that it covers every position the patch does.
            var pad = Options.ContextMargin;
            var padded = PadReplicate(slice, image.SizeX, image.SizeY, pad);
            var contextInput = PrepareContext(Options, padded, image.SizeX + (2 * pad), image.SizeY + (2 * pad), out var contextSide);
            var dc = d - dPatch;
            var context = Embed(TorchTraining.FromArray(contextInput, [1, 1, contextSide.Height, contextSide.Width]), contextNet).squeeze(0).permute(1, 2, 0).contiguous().data<float>().ToArray();
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var target = values.AsSpan((int)maps.IndexOf(x + half, y + half, z), d);
                    data.AsSpan(((y * w) + x) * dPatch, dPatch).CopyTo(target);
                    var source = context.AsSpan(((y * w) + x) * dc, dc);
                    for (var c = 0; c < dc; c++)
                    {
                        target[dPatch + c] = contextFactor * source[c];
                    }
                }
            }
        }

        return maps;
    }

    /// <summary>
    /// The 3D model's maps of a whole volume: the volume is range-scaled and prepared once, then embedded in slabs of
    /// <see cref="SlabDepth"/> output planes (bounding the im2col buffers), each written into the maps at its voxels.
    /// </summary>
    private FeatureMaps ComputeVolumeMaps(MedicalImage image, FeatureBranch branch, CancellationToken cancellationToken, IntensityRange? scaling = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var half = PatchSize / 2;
        var d = FeatureDimension;
        var values = new float[(long)image.SizeX * image.SizeY * image.SizeZ * d];
        var maps = new FeatureMaps(values, d, image.SizeX, image.SizeY, image.SizeZ, half);
        if (image.SizeX < PatchSize || image.SizeY < PatchSize || image.SizeZ < PatchSize)
        {
            return maps;
        }

        TorchRuntime.EnsureInitialized();
        var scaled = new float[image.VoxelCount];
        Scale(image.VoxelSpan, scaling ?? IntensityRange.Of(image), scaled);
        var input = Prepare(scaled, image.SizeX, image.SizeY, image.SizeZ);
        var margin = (PatchSize - Options.NetworkField) / 2;
        var (inW, inH, inD) = (image.SizeX - (2 * margin), image.SizeY - (2 * margin), image.SizeZ - (2 * margin));
        var (w, h, depth) = (image.SizeX - PatchSize + 1, image.SizeY - PatchSize + 1, image.SizeZ - PatchSize + 1);
        var field = Options.NetworkField;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var net = ToTensors(branch == FeatureBranch.Fixed ? _fixedLayers : _movingLayers);
        var volume = TorchTraining.FromArray(input, [1, 1, inD, inH, inW]);
        for (var z0 = 0; z0 < depth; z0 += SlabDepth)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var slabScope = NewDisposeScope();
            var planes = Math.Min(SlabDepth, depth - z0);
            var f = Embed(volume.narrow(2, z0, planes + field - 1), net).squeeze(0).permute(1, 2, 3, 0).contiguous();
            var data = f.data<float>().ToArray();
            for (var z = 0; z < planes; z++)
            {
                for (var y = 0; y < h; y++)
                {
                    data.AsSpan(((z * h) + y) * w * d, w * d).CopyTo(values.AsSpan((int)maps.IndexOf(half, y + half, z0 + z + half), w * d));
                }
            }
        }

        return maps;
    }

    /// <summary>Output planes a 3D model embeds at once (the im2col buffer of a 16-channel layer is 432 x planes x H x W floats).</summary>
    private const int SlabDepth = 8;

    private static void CheckBranch(IReadOnlyList<ConvLayer> layers, FeatureTrainingOptions options, string parameter) =>
        CheckBranch(layers, options, options.NetworkField, parameter);

    /// <summary>Checks a stream's layers against the model's dimension and the receptive field it must have (the patch's, or the context view's).</summary>
    private static void CheckBranch(IReadOnlyList<ConvLayer> layers, FeatureTrainingOptions options, int networkField, string parameter)
    {
        if (layers.Count < 1 || layers[0].Inputs != 1)
        {
            throw new ArgumentException("A branch needs at least one convolution and takes one input channel.", parameter);
        }

        if (layers.Any(l => l.Dimensions != options.Dimensions))
        {
            throw new ArgumentException($"A {options.Dimensions}D model needs {options.Dimensions}D convolutions.", parameter);
        }

        for (var i = 1; i < layers.Count; i++)
        {
            if (layers[i].Inputs != layers[i - 1].Outputs)
            {
                throw new ArgumentException($"Convolution {i} takes {layers[i].Inputs} channels but convolution {i - 1} gives {layers[i - 1].Outputs}.", parameter);
            }
        }

        var field = 1 + (2 * layers.Sum(l => l.Shrink));
        if (field != networkField)
        {
            throw new ArgumentException($"The branch's receptive field is {field}x{field} but the patch, less the normalisation margins, is {networkField}x{networkField}.", parameter);
        }
    }
}
