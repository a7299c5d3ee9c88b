using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Runtime;
using DeepSim.Similarity;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Scores every candidate of every query's search window with a fully connected <see cref="SimilarityModel"/>
/// (see <see cref="SimilarityModel.ScoreSearchWindows"/> for the contract).
/// <para>
/// Fast plans: layer 1's moving half depends only on the moving position, not on the query, so it is computed once per
/// z-slice over the bounding box of a group of queries' windows, either as one correlation (conv2d) of the normalised
/// moving image with layer 1's moving weights as P x P filters (<see cref="ScoringKernels.Convolution"/>) or as unfold
/// and one matrix product (<see cref="ScoringKernels.Gemm"/>). Per query, the fixed half (W_fixed x_fixed + b) is added
/// to the query's (2R+1)^2 crop of that map; layers 2.. are then plain matrix products over all candidates of a query
/// batch. Per-patch z-scores are applied algebraically from box sums.
/// </para>
/// <para>
/// Layers 2.. are deliberately matrix products and not 1x1 convolutions: libtorch 2.10's oneDNN 1x1 convolution on a
/// channels-last input with a batch larger than one returned sums that were wrong by up to ~4 on N(0, 1) data (2 OpenMP
/// threads, any batch of two or more; one thread, a batch of 16) on AMD EPYC machines with AVX-512, where the same
/// product as a matrix multiplication is exact. Because another kernel may misbehave on another machine, the plans are
/// verified: <see cref="ScoringSelfCheck"/> compares them with the reference once per process, and every batch is
/// spot-checked against full forward passes of a few of its candidates; a mismatch moves the process to the next plan.
/// </para>
/// </summary>
internal sealed class SearchWindowScorer
{
    /// <summary>Candidates spot-checked per query of a batch.</summary>
    private const int SpotChecksPerQuery = 3;

    /// <summary>At most this many candidates spot-checked per batch.</summary>
    private const int MaxSpotChecksPerBatch = 48;

    private readonly SimilarityModel _model;
    private readonly ScoringOptions _options;
    private readonly IReadOnlyList<DenseLayer> _layers;
    private readonly ScoringGuard _guard;

    /// <summary>Creates a scorer; <paramref name="guard"/> (default: the process's) holds the verified plan.</summary>
    public SearchWindowScorer(SimilarityModel model, ScoringOptions options, ScoringGuard? guard = null)
    {
        _model = model;
        _options = options;
        _layers = model.Layers;
        _guard = guard ?? ScoringGuard.Process;
    }

    /// <summary>Test hook: changes a fast plan's batch scores before the spot check (simulates a faulty native kernel).</summary>
    internal Action<ScoringKernels, float[]>? CorruptBatch { get; init; }

    /// <summary>Scores with the plan the options ask for (Auto: the verified plan); returns the plan that produced the scores.</summary>
    public ScoringKernels Score(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        if (!Begin(fixedImage, movingImage, centres, patchSize, radius, scores))
        {
            return _options.Kernels == ScoringKernels.Auto ? ScoringKernels.Reference : _options.Kernels;
        }

        if (_options.Kernels != ScoringKernels.Auto)
        {
            return ScoreWith(_options.Kernels, spotCheck: false, fixedImage, movingImage, centres, radius, scores, progress, cancellationToken);
        }

        var plan = _guard.Current.Plan;
        while (true)
        {
            try
            {
                return ScoreWith(plan, _options.SpotCheck, fixedImage, movingImage, centres, radius, scores, progress, cancellationToken);
            }
            catch (SpotCheckMismatchException mismatch)
            {
                plan = _guard.Downgrade(plan, mismatch.Message);
            }
        }
    }

    /// <summary>The definition: every candidate patch extracted, normalised as in training and run through the network.</summary>
    public void ScoreReference(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        if (Begin(fixedImage, movingImage, centres, patchSize, radius, scores))
        {
            ScoreReferenceCore(fixedImage, movingImage, centres, radius, scores, progress, cancellationToken);
        }
    }

    /// <summary>How many queries one batch takes at this radius.</summary>
    public int QueriesPerBatch(int radius)
    {
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        long floatsPerQuery = positions * (((long)_model.PatchSize * _model.PatchSize) + _layers[0].Outputs + 2 + (_layers.Skip(1).Sum(l => (long)l.Outputs) * 2));
        var perQueryBytes = Math.Max(1, floatsPerQuery * 4);
        return (int)Math.Clamp(_options.MemoryBudgetBytes / perQueryBytes, 1, 256);
    }

    /// <summary>
    /// The start both entry points share: checks the arguments (see <see cref="Validate"/>); false when there are no
    /// centres (nothing to score), else loads libtorch and returns true.
    /// </summary>
    private bool Begin(MedicalImage fixedImage, MedicalImage movingImage, IReadOnlyList<PatchCenter> centres, int patchSize, int radius, Span<float> scores)
    {
        Validate(fixedImage, movingImage, centres, patchSize, radius, scores);
        if (centres.Count == 0)
        {
            return false;
        }

        TorchRuntime.EnsureInitialized();
        return true;
    }

    /// <summary>
    /// Groups queries of one z-slice whose windows share one feature map (the bounding box of their windows), keeping each
    /// map within the memory budget.
    /// </summary>
    public List<SearchGroup> PlanGroups(IReadOnlyList<PatchCenter> centres, int radius)
    {
        var patch = _model.PatchSize;
        var half = patch / 2;
        var side = (2 * radius) + patch;
        var mapFloatsPerPosition = (2L * _layers[0].Outputs) + 4;
        var minimum = mapFloatsPerPosition * 4L * ((2L * radius) + 1) * ((2L * radius) + 1);
        var budget = Math.Max(_options.MemoryBudgetBytes, minimum);
        var groups = new List<SearchGroup>();
        var order = Enumerable.Range(0, centres.Count).OrderBy(i => centres[i].Z).ThenBy(i => centres[i].Y).ThenBy(i => centres[i].X).ToArray();
        var members = new List<int>();
        int z = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        foreach (var i in order)
        {
            var c = centres[i];
            int cx0 = c.X - radius - half, cy0 = c.Y - radius - half, cx1 = cx0 + side, cy1 = cy0 + side;
            if (members.Count > 0 && c.Z == z)
            {
                int nx0 = Math.Min(x0, cx0), ny0 = Math.Min(y0, cy0), nx1 = Math.Max(x1, cx1), ny1 = Math.Max(y1, cy1);
                var bytes = mapFloatsPerPosition * 4L * (nx1 - nx0 - patch + 1) * (ny1 - ny0 - patch + 1);
                if (bytes <= budget)
                {
                    (x0, y0, x1, y1) = (nx0, ny0, nx1, ny1);
                    members.Add(i);
                    continue;
                }
            }

            if (members.Count > 0)
            {
                groups.Add(new SearchGroup(z, x0, y0, x1 - x0, y1 - y0, [.. members]));
                members.Clear();
            }

            (z, x0, y0, x1, y1) = (c.Z, cx0, cy0, cx1, cy1);
            members.Add(i);
        }

        if (members.Count > 0)
        {
            groups.Add(new SearchGroup(z, x0, y0, x1 - x0, y1 - y0, [.. members]));
        }

        return groups;
    }

    private static float[] ExtractRegion(MedicalImage image, SearchGroup group)
    {
        var result = new float[group.Width * group.Height];
        var voxels = image.VoxelSpan;
        var rowBase = (long)image.SizeX * image.SizeY * group.Z;
        for (var r = 0; r < group.Height; r++)
        {
            var offset = rowBase + ((long)(group.Y0 + r) * image.SizeX) + group.X0;
            voxels.Slice(checked((int)offset), group.Width).CopyTo(result.AsSpan(r * group.Width, group.Width));
        }

        return result;
    }

    private void Validate(MedicalImage fixedImage, MedicalImage movingImage, IReadOnlyList<PatchCenter> centres, int patchSize, int radius, Span<float> scores)
    {
        if (patchSize != _model.PatchSize)
        {
            throw new PatchSizeMismatchException(_model.Name, _model.PatchSize, patchSize);
        }

        // The same contract checks as every other metric's search (images, centres, window fit, buffer size).
        _ = new SearchWindowJob(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
    }

    private ScoringKernels ScoreWith(
        ScoringKernels plan,
        bool spotCheck,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int radius,
        Span<float> scores,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        if (plan == ScoringKernels.Reference)
        {
            ScoreReferenceCore(fixedImage, movingImage, centres, radius, scores, progress, cancellationToken);
        }
        else
        {
            ScoreFast(plan, spotCheck, fixedImage, movingImage, centres, radius, scores, progress, cancellationToken);
        }

        return plan;
    }

    private void ScoreFast(
        ScoringKernels plan,
        bool spotCheck,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int radius,
        Span<float> scores,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var patch = _model.PatchSize;
        var width = (2 * radius) + 1;
        var positions = width * width;
        var half = patch / 2;
        var n = patch * patch;
        var h1 = _layers[0].Outputs;
        var perBatch = QueriesPerBatch(radius);
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var normalization = _model.Normalization;
        var zScore = normalization == InputNormalization.PatchZScore;
        var bf16 = _options.Precision == ScoringPrecision.BFloat16;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var first = _layers[0];
        var w1 = TorchTraining.FromArray(first.Weights, [h1, 2 * n]);
        var b1 = TorchTraining.FromArray(first.Bias, [h1]);
        var wFixed = w1.narrow(1, 0, n).contiguous();
        var wMoving = w1.narrow(1, n, n).contiguous();
        var wMovingFilters = wMoving.view(h1, 1, patch, patch);
        var movingSums = wMoving.sum(1).view(h1, 1, 1);

        var middle = new List<(Tensor W, Tensor B)>();
        for (var l = 1; l < _layers.Count - 1; l++)
        {
            var layer = _layers[l];
            var w = TorchTraining.FromArray(layer.Weights, [layer.Outputs, layer.Inputs]);
            var b = TorchTraining.FromArray(layer.Bias, [layer.Outputs]);
            middle.Add((bf16 ? w.to_type(ScalarType.BFloat16) : w, b));
        }

        var last = _layers[^1];
        var diffWeights = new float[last.Inputs];
        for (var j = 0; j < last.Inputs; j++)
        {
            diffWeights[j] = last.Weights[last.Inputs + j] - last.Weights[j];
        }

        var wDiff = TorchTraining.FromArray(diffWeights, [last.Inputs, 1]);
        var bDiff = last.Bias[1] - last.Bias[0];
        var reference = spotCheck ? NetworkTensors.Create(_layers) : null;

        var done = 0;
        var fixedBuffer = new float[perBatch * n];
        foreach (var group in PlanGroups(centres, radius))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var groupScope = NewDisposeScope();
            var region = ExtractRegion(movingImage, group);
            if (zScore)
            {
                // Shift by the region mean: the z-score is shift-invariant, and float32 sums stay accurate.
                double mean = 0;
                foreach (var v in region)
                {
                    mean += v;
                }

                mean /= region.Length;
                for (var i = 0; i < region.Length; i++)
                {
                    region[i] = (float)(region[i] - mean);
                }
            }
            else
            {
                PatchInputs.Normalize(region.ToArray(), movingRange, InputNormalization.ImageRange, region);
            }

            var regionTensor = TorchTraining.FromArray(region, [1, 1, group.Height, group.Width]);
            var mapH = group.Height - patch + 1;
            var mapW = group.Width - patch + 1;

            // Layer 1's moving half at every position of the region: [h1, mapH, mapW].
            var map = plan == ScoringKernels.Convolution
                ? nn.functional.conv2d(regionTensor, wMovingFilters).squeeze(0)
                : wMoving.matmul(nn.functional.unfold(regionTensor, patch).squeeze(0)).view(h1, mapH, mapW);
            if (zScore)
            {
                var regionD = regionTensor.to_type(ScalarType.Float64);
                var mu = nn.functional.avg_pool2d(regionD, patch, 1);
                var m2 = nn.functional.avg_pool2d(regionD * regionD, patch, 1);
                var variance = (m2 - (mu * mu)).clamp_min(HeldScalars.OfInteger(0));
                var sigma = variance.add(HeldScalars.Of(PatchInputs.ZScoreEpsilon), HeldScalars.One).sqrt_().to_type(ScalarType.Float32).squeeze(0);
                map.sub_(mu.to_type(ScalarType.Float32).squeeze(0) * movingSums).div_(sigma);

                // A constant patch z-scores to exactly 0; here its numerator is float32 cancellation noise, which 1/sigma
                // would amplify ~1000x. Variances below 1e-9 of the squared level are rounding, not signal.
                var flat = variance.le((mu * mu).add_(HeldScalars.OfInteger(1), HeldScalars.One).mul_(HeldScalars.Of(1e-9))).squeeze(0);
                map.masked_fill_(flat, HeldScalars.OfInteger(0));
            }

            // Channels last, so a query's crop is [width, width, h1] and the later layers are plain row-major GEMMs.
            var features = map.permute(1, 2, 0).contiguous();
            map.Dispose();
            var queries = group.Queries;
            for (var g0 = 0; g0 < queries.Length; g0 += perBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var batchScope = NewDisposeScope();
                var qb = Math.Min(perBatch, queries.Length - g0);
                var crops = new Tensor[qb];
                for (var q = 0; q < qb; q++)
                {
                    var c = centres[queries[g0 + q]];
                    var fixedPatch = _model.ExtractPatch(fixedImage, c.X, c.Y, c.Z);
                    PatchInputs.Normalize(fixedPatch, fixedRange, normalization, fixedBuffer.AsSpan(q * n, n));
                    crops[q] = features.narrow(0, c.Y - radius - half - group.Y0, width).narrow(1, c.X - radius - half - group.X0, width);
                }

                var xFixed = TorchTraining.FromArray(fixedBuffer.AsSpan(0, qb * n).ToArray(), [qb, n]);
                var fixedPart = nn.functional.linear(xFixed, wFixed, b1).view(qb, 1, 1, h1);
                var h = Activate(stack(crops, 0).add_(fixedPart, HeldScalars.One).view(qb * positions, h1));
                foreach (var (w, b) in middle)
                {
                    h = bf16
                        ? nn.functional.linear(h.to_type(ScalarType.BFloat16), w).to_type(ScalarType.Float32).add_(b, HeldScalars.One)
                        : nn.functional.linear(h, w, b);
                    h = Activate(h);
                }

                using var bDiffScalar = bDiff.ToScalar();
                var values = h.matmul(wDiff).add_(bDiffScalar, HeldScalars.One).contiguous().data<float>().ToArray();
                CorruptBatch?.Invoke(plan, values);
                if (reference is not null)
                {
                    SpotCheck(plan, reference, fixedImage, movingImage, movingRange, centres, queries, g0, qb, radius, fixedBuffer, values);
                }

                for (var q = 0; q < qb; q++)
                {
                    values.AsSpan(q * positions, positions).CopyTo(scores.Slice(queries[g0 + q] * positions, positions));
                }

                done += qb;
                progress?.Report(done);
            }
        }
    }

    /// <summary>
    /// Compares a few candidates of a batch with full forward passes of their patches; throws
    /// <see cref="SpotCheckMismatchException"/> when a fast score is off by more than rounding (float32: 1e-3 of the
    /// scores' scale; bfloat16: 5e-2, which the product's rounding stays well within).
    /// </summary>
    private void SpotCheck(
        ScoringKernels plan,
        NetworkTensors reference,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IntensityRange movingRange,
        IReadOnlyList<PatchCenter> centres,
        int[] queries,
        int g0,
        int qb,
        int radius,
        float[] fixedBuffer,
        float[] values)
    {
        var width = (2 * radius) + 1;
        var positions = width * width;
        var n = _model.PatchSize * _model.PatchSize;
        var perQuery = Math.Max(1, Math.Min(SpotChecksPerQuery, MaxSpotChecksPerBatch / qb));
        var count = Math.Min(qb, MaxSpotChecksPerBatch) * perQuery;
        var rows = new float[count * 2 * n];
        var index = new int[count];
        var r = 0;
        for (var q = 0; q < qb && r < count; q++)
        {
            var c = centres[queries[g0 + q]];
            for (var j = 0; j < perQuery && r < count; j++)
            {
                // Deterministic, spread over the window: the centre, then pseudo-random positions.
                var k = j == 0 ? positions / 2 : (int)(((long)(queries[g0 + q] + 1) * 7919L * (j + 1)) % positions);
                var dy = (k / width) - radius;
                var dx = (k % width) - radius;
                fixedBuffer.AsSpan(q * n, n).CopyTo(rows.AsSpan(r * 2 * n, n));
                PatchInputs.Normalize(_model.ExtractPatch(movingImage, c.X + dx, c.Y + dy, c.Z), movingRange, _model.Normalization, rows.AsSpan((r * 2 * n) + n, n));
                index[r] = (q * positions) + k;
                r++;
            }
        }

        using var scope = NewDisposeScope();
        var logits = reference.Forward(TorchTraining.FromArray(rows, [count, 2 * n]), _model.Activation);
        var expected = (logits.select(1, 1) - logits.select(1, 0)).contiguous().data<float>().ToArray();
        var scale = Math.Max(1.0, expected.Max(v => Math.Abs((double)v)));
        var tolerance = (_options.Precision == ScoringPrecision.BFloat16 ? 5e-2 : 1e-3) * scale;
        double worst = 0;
        for (var i = 0; i < count; i++)
        {
            var d = Math.Abs((double)values[index[i]] - expected[i]);
            if (!(d <= worst))
            {
                worst = double.IsNaN(d) ? double.PositiveInfinity : d;
            }
        }

        if (worst > tolerance)
        {
            throw new SpotCheckMismatchException(
                $"the {plan} plan's scores differed from full forward passes by up to {worst:G3} (score scale {scale:G3}) at {get_num_threads()} thread(s)");
        }
    }

    private void ScoreReferenceCore(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int radius,
        Span<float> scores,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var n = _model.PatchSize * _model.PatchSize;
        var width = (2 * radius) + 1;
        var positions = width * width;
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var normalization = _model.Normalization;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var net = NetworkTensors.Create(_layers);
        var rows = new float[positions * 2 * n];
        var fixedNorm = new float[n];
        for (var q = 0; q < centres.Count; q++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var queryScope = NewDisposeScope();
            var c = centres[q];
            PatchInputs.Normalize(_model.ExtractPatch(fixedImage, c.X, c.Y, c.Z), fixedRange, normalization, fixedNorm);
            for (var dy = -radius; dy <= radius; dy++)
            {
                for (var dx = -radius; dx <= radius; dx++)
                {
                    var k = ((dy + radius) * width) + dx + radius;
                    fixedNorm.CopyTo(rows.AsSpan(k * 2 * n, n));
                    PatchInputs.Normalize(_model.ExtractPatch(movingImage, c.X + dx, c.Y + dy, c.Z), movingRange, normalization, rows.AsSpan((k * 2 * n) + n, n));
                }
            }

            var logits = net.Forward(TorchTraining.FromArray(rows, [positions, 2 * n]), _model.Activation);
            var diff = (logits.select(1, 1) - logits.select(1, 0)).contiguous();
            diff.data<float>().CopyTo(scores.Slice(q * positions, positions));
            progress?.Report(q + 1);
        }
    }

    private Tensor Activate(Tensor x) => _model.Activation == ActivationKind.Relu ? x.relu_() : x.sigmoid_();

    /// <summary>Queries of one z-slice whose windows share one feature map: the moving region [X0, X0+Width) x [Y0, Y0+Height).</summary>
    internal sealed record SearchGroup(int Z, int X0, int Y0, int Width, int Height, int[] Queries);

    /// <summary>A fast plan's batch disagreed with full forward passes of its candidates.</summary>
    private sealed class SpotCheckMismatchException(string message) : Exception(message);
}
