using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Runtime;
using DeepSim.Similarity;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// A trained similarity network (input: fixed and moving patch side by side; hidden layers; output logits
/// NonMatch, Match). The score of a pair is logit(Match) - logit(NonMatch): higher is more similar.
/// Weights are plain arrays; tensors exist only during a scoring call.
/// </summary>
public sealed class SimilarityModel : ISimilarityMetric
{
    /// <summary>Default memory budget of one <see cref="ScoreSearchWindows"/> query batch (256 MiB).</summary>
    public const long DefaultScoringMemoryBudgetBytes = 256L * 1024 * 1024;

    private readonly DenseLayer[] _layers;

    /// <summary>Creates a model (used by <see cref="SimilarityTrainer"/> and <see cref="ModelFile"/>).</summary>
    public SimilarityModel(
        string name,
        int patchSize,
        InputNormalization normalization,
        ActivationKind activation,
        IReadOnlyList<DenseLayer> layers,
        SimilarityTrainingOptions options,
        IReadOnlyList<TrainingEpoch> history,
        int bestEpoch,
        bool pretrained,
        int trainingPairCount,
        DateTimeOffset createdUtc)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        if (patchSize < 1 || patchSize % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "Patch size must be odd and positive.");
        }

        if (layers.Count < 1 || layers[0].Inputs != 2 * patchSize * patchSize || layers[^1].Outputs != 2)
        {
            throw new ArgumentException($"A similarity network takes 2 x {patchSize}^2 = {2 * patchSize * patchSize} inputs and ends in 2 outputs.", nameof(layers));
        }

        for (var i = 1; i < layers.Count; i++)
        {
            if (layers[i].Inputs != layers[i - 1].Outputs)
            {
                throw new ArgumentException($"Layer {i} takes {layers[i].Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}.", nameof(layers));
            }
        }

        Name = name;
        PatchSize = patchSize;
        Normalization = normalization;
        Activation = activation;
        _layers = [.. layers];
        Options = options;
        History = history;
        BestEpoch = bestEpoch;
        Pretrained = pretrained;
        TrainingPairCount = trainingPairCount;
        CreatedUtc = createdUtc;
    }

    /// <summary>Name shown in tables; may be changed (e.g. on import).</summary>
    public string Name { get; set; }

    /// <summary>Side length of the patches the model was trained on.</summary>
    public int PatchSize { get; }

    /// <inheritdoc />
    public int? RequiredPatchSize => PatchSize;

    /// <summary>How patches are scaled into inputs (applied identically when scoring).</summary>
    public InputNormalization Normalization { get; }

    /// <summary>Hidden non-linearity.</summary>
    public ActivationKind Activation { get; }

    /// <summary>The layers, input to output; the last has 2 outputs (NonMatch, Match).</summary>
    public IReadOnlyList<DenseLayer> Layers => _layers;

    /// <summary>Layer widths from input to output, e.g. [578, 578, 300, 100, 2].</summary>
    public int[] LayerSizes => [_layers[0].Inputs, .. _layers.Select(l => l.Outputs)];

    /// <summary>The options it was trained with.</summary>
    public SimilarityTrainingOptions Options { get; }

    /// <summary>Per-epoch losses and accuracies.</summary>
    public IReadOnlyList<TrainingEpoch> History { get; }

    /// <summary>The epoch whose weights the model holds (best validation loss, or the last epoch without validation).</summary>
    public int BestEpoch { get; }

    /// <summary>True when the bottom layers were initialised from an SDAE.</summary>
    public bool Pretrained { get; }

    /// <summary>Number of pairs (training + validation) it was trained on.</summary>
    public int TrainingPairCount { get; }

    /// <summary>When training finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>The DeepSim model file format version this model is written with.</summary>
    public int FormatVersion => ModelFile.CurrentVersion;

    /// <summary>Arithmetic of <see cref="ScoreSearchWindows"/> (not saved with the model). Default float32.</summary>
    public ScoringPrecision Precision { get; set; } = ScoringPrecision.Float32;

    /// <summary>Approximate memory one query batch of <see cref="ScoreSearchWindows"/> may use (not saved). Default 256 MiB.</summary>
    public long ScoringMemoryBudgetBytes { get; set; } = DefaultScoringMemoryBudgetBytes;

    /// <inheritdoc />
    public void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (scores.Length < pairs.Count)
        {
            throw new ArgumentException($"The score span holds {scores.Length} values but there are {pairs.Count} pairs.", nameof(scores));
        }

        foreach (var p in pairs)
        {
            if (p.PatchSize != PatchSize)
            {
                throw new PatchSizeMismatchException(Name, PatchSize, p.PatchSize);
            }
        }

        if (pairs.Count == 0)
        {
            return;
        }

        TorchRuntime.EnsureInitialized();
        const int chunk = 4096;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var net = NetworkTensors.Create(_layers);
        for (var start = 0; start < pairs.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var chunkScope = NewDisposeScope();
            var len = Math.Min(chunk, pairs.Count - start);
            var sub = new PatchPair[len];
            for (var i = 0; i < len; i++)
            {
                sub[i] = pairs[start + i];
            }

            var x = TorchTraining.FromArray(PatchInputs.Build(sub, Normalization), [len, 2 * PatchSize * PatchSize]);
            var logits = net.Forward(x, Activation);
            var diff = (logits.select(1, 1) - logits.select(1, 0)).contiguous();
            var values = diff.data<float>().ToArray();
            for (var i = 0; i < len; i++)
            {
                scores[start + i] = values[i];
            }
        }
    }

    /// <summary>
    /// Scores every candidate of every query's search window (see <see cref="ISimilarityMetric.ScoreSearchWindows"/>).
    /// Fast path: layer 1's moving half depends only on the moving position, not on the query, so it is computed once
    /// per z-slice as a correlation (one conv2d) of the normalised moving image, over the bounding box of all the
    /// queries' windows, with layer 1's moving weights as P x P filters (queries are grouped so that one feature map
    /// stays within <see cref="ScoringMemoryBudgetBytes"/>). Per query, the fixed half (W_fixed x_fixed + b, one
    /// matrix product per batch) is added to the query's (2R+1)^2 crop of that map; layers 2.. are then single matrix
    /// products over all candidates of a query batch (float32: 1x1 convolutions on the channels-last map). Per-patch z-scores are applied algebraically from box sums, so
    /// the result equals normalising every candidate patch (compare <see cref="ScoreSearchWindowsReference"/>).
    /// Cancellation is checked and progress (queries done) reported after every batch. Patches may lie in a slice
    /// z = centre.Z of a 3D image (2D patches).
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
        var geometry = ValidateSearch(fixedImage, movingImage, centres, patchSize, radius, scores);
        if (centres.Count == 0)
        {
            return;
        }

        TorchRuntime.EnsureInitialized();
        var positions = geometry.Positions;
        var width = (2 * radius) + 1;
        var half = PatchSize / 2;
        var n = PatchSize * PatchSize;
        var h1 = _layers[0].Outputs;
        var perBatch = QueriesPerBatch(radius);
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var zScore = Normalization == InputNormalization.PatchZScore;
        var bf16 = Precision == ScoringPrecision.BFloat16;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var first = _layers[0];
        var w1 = TorchTraining.FromArray(first.Weights, [h1, 2 * n]);
        var b1 = TorchTraining.FromArray(first.Bias, [h1]);
        var wFixed = w1.narrow(1, 0, n).contiguous();
        var wMoving = w1.narrow(1, n, n).contiguous().view(h1, 1, PatchSize, PatchSize);
        var movingSums = wMoving.sum([1, 2, 3]).view(h1, 1, 1);

        var middle = new List<(Tensor W, Tensor B)>();
        for (var l = 1; l < _layers.Length - 1; l++)
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

        var done = 0;
        var fixedBuffer = new float[perBatch * n];
        foreach (var group in PlanSearchGroups(centres, radius))
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
            // Layer 1's moving half at every position of the region: [h1, mapH, mapW] (oneDNN convolution).
            var map = nn.functional.conv2d(regionTensor, wMoving).squeeze(0);
            if (zScore)
            {
                var regionD = regionTensor.to_type(ScalarType.Float64);
                var mu = nn.functional.avg_pool2d(regionD, PatchSize, 1);
                var m2 = nn.functional.avg_pool2d(regionD * regionD, PatchSize, 1);
                var variance = (m2 - (mu * mu)).clamp_min(0);
                var sigma = (variance + PatchInputs.ZScoreEpsilon).sqrt_().to_type(ScalarType.Float32).squeeze(0);
                map.sub_(mu.to_type(ScalarType.Float32).squeeze(0) * movingSums).div_(sigma);
                // A constant patch z-scores to exactly 0; here its numerator is float32 cancellation noise, which 1/sigma
                // would amplify ~1000x. Variances below 1e-9 of the squared level are rounding, not signal.
                var flat = variance.le((mu * mu).add_(1).mul_(1e-9)).squeeze(0);
                map.masked_fill_(flat, 0);
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
                    var fixedPatch = ExtractSquare(fixedImage, c.X, c.Y, c.Z, PatchSize);
                    PatchInputs.Normalize(fixedPatch, fixedRange, Normalization, fixedBuffer.AsSpan(q * n, n));
                    crops[q] = features.narrow(0, c.Y - radius - half - group.Y0, width).narrow(1, c.X - radius - half - group.X0, width);
                }

                var xFixed = TorchTraining.FromArray(fixedBuffer.AsSpan(0, qb * n).ToArray(), [qb, n]);
                var fixedPart = nn.functional.linear(xFixed, wFixed, b1).view(qb, 1, 1, h1);
                var h = ActivateInPlace(stack(crops, 0).add_(fixedPart)); // [qb, width, width, h1], channels last
                foreach (var (w, b) in middle)
                {
                    if (bf16)
                    {
                        var rows = h.reshape(qb * positions, w.shape[1]).to_type(ScalarType.BFloat16);
                        h = nn.functional.linear(rows, w).to_type(ScalarType.Float32).add_(b).view(qb, width, width, w.shape[0]);
                    }
                    else
                    {
                        // A 1x1 convolution over the channels-last [qb, h, width, width] view: oneDNN (AVX-512) kernels,
                        // measured ~1.6x faster here than the same product as a GEMM (MKL without AVX-512 on AMD).
                        var nchw = h.permute(0, 3, 1, 2);
                        h = nn.functional.conv2d(nchw, w.view(w.shape[0], w.shape[1], 1, 1), b).permute(0, 2, 3, 1);
                    }

                    h = ActivateInPlace(h);
                }

                var s = h.reshape(qb * positions, last.Inputs).matmul(wDiff).add_(bDiff).contiguous();
                var values = s.data<float>();
                for (var q = 0; q < qb; q++)
                {
                    var target = scores.Slice(queries[g0 + q] * positions, positions);
                    for (var k = 0; k < positions; k++)
                    {
                        target[k] = values[(q * positions) + k];
                    }
                }

                done += qb;
                progress?.Report(done);
            }
        }
    }

    /// <summary>
    /// Reference implementation of <see cref="ScoreSearchWindows"/> (same arguments and output layout): extracts every
    /// candidate patch, normalises it exactly as training does and runs the full network. Slow; for tests and checks.
    /// </summary>
    public void ScoreSearchWindowsReference(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        CancellationToken cancellationToken = default)
    {
        var geometry = ValidateSearch(fixedImage, movingImage, centres, patchSize, radius, scores);
        if (centres.Count == 0)
        {
            return;
        }

        TorchRuntime.EnsureInitialized();
        var n = PatchSize * PatchSize;
        var width = (2 * radius) + 1;
        var positions = geometry.Positions;
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var net = NetworkTensors.Create(_layers);
        var rows = new float[positions * 2 * n];
        for (var q = 0; q < centres.Count; q++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var queryScope = NewDisposeScope();
            var c = centres[q];
            var fixedNorm = new float[n];
            PatchInputs.Normalize(ExtractSquare(fixedImage, c.X, c.Y, c.Z, PatchSize), fixedRange, Normalization, fixedNorm);
            for (var dy = -radius; dy <= radius; dy++)
            {
                for (var dx = -radius; dx <= radius; dx++)
                {
                    var k = ((dy + radius) * width) + dx + radius;
                    fixedNorm.CopyTo(rows.AsSpan(k * 2 * n, n));
                    var moving = ExtractSquare(movingImage, c.X + dx, c.Y + dy, c.Z, PatchSize);
                    PatchInputs.Normalize(moving, movingRange, Normalization, rows.AsSpan((k * 2 * n) + n, n));
                }
            }

            var logits = net.Forward(TorchTraining.FromArray(rows, [positions, 2 * n]), Activation);
            var diff = (logits.select(1, 1) - logits.select(1, 0)).contiguous();
            diff.data<float>().CopyTo(scores.Slice(q * positions, positions));
        }
    }

    /// <summary>
    /// Floating-point operations (multiply and add counted separately) of scoring <paramref name="queries"/> queries at
    /// <paramref name="radius"/> when layer 1's moving half is computed per query over its own window (no sharing between
    /// queries): layer 1's fixed half once per query, its moving half as a convolution over all candidates, the later
    /// layers per candidate, and the final logit difference. This is what <see cref="ScoreSearchWindows"/> executes when
    /// every query forms its own group (windows far apart or a tiny memory budget); see the overload taking centres.
    /// </summary>
    public long CountSearchWindowFlops(int queries, int radius)
    {
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        long n = PatchSize * PatchSize;
        long h1 = _layers[0].Outputs;
        var perQuery = (2 * h1 * n) + (2 * h1 * n * positions);
        for (var l = 1; l < _layers.Length - 1; l++)
        {
            perQuery += 2L * positions * _layers[l].Inputs * _layers[l].Outputs;
        }

        perQuery += 2L * positions * _layers[^1].Inputs;
        return queries * perQuery;
    }

    /// <summary>
    /// Floating-point operations (multiply and add counted separately) that <see cref="ScoreSearchWindows"/> actually
    /// executes for these <paramref name="centres"/> at <paramref name="radius"/>: layer 1's moving half once per position
    /// of each query group's feature map (the bounding box of the group's windows, see <see cref="ScoreSearchWindows"/>),
    /// its fixed half once per query, the later layers per candidate and the final logit difference. Depends on the
    /// centres and on <see cref="ScoringMemoryBudgetBytes"/>; compare <see cref="CountNaiveSearchWindowFlops"/> for the saving.
    /// </summary>
    public long CountSearchWindowFlops(IReadOnlyList<PatchCenter> centres, int radius)
    {
        ArgumentNullException.ThrowIfNull(centres);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        long n = PatchSize * PatchSize;
        long h1 = _layers[0].Outputs;
        long total = 0;
        foreach (var g in PlanSearchGroups(centres, radius))
        {
            total += 2L * h1 * n * (g.Width - PatchSize + 1) * (g.Height - PatchSize + 1);
        }

        long perQuery = 2 * h1 * n;
        for (var l = 1; l < _layers.Length - 1; l++)
        {
            perQuery += 2L * positions * _layers[l].Inputs * _layers[l].Outputs;
        }

        perQuery += 2L * positions * _layers[^1].Inputs;
        return total + (centres.Count * perQuery);
    }

    /// <summary>
    /// Floating-point operations of scoring every candidate with a full forward pass:
    /// 2 x candidates x (sum of in x out over all layers), e.g. 2 x candidates x (578*578 + 578*300 + 300*100 + 100*2).
    /// </summary>
    public long CountNaiveSearchWindowFlops(int queries, int radius)
    {
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        long perCandidate = 0;
        foreach (var l in _layers)
        {
            perCandidate += (long)l.Inputs * l.Outputs;
        }

        return 2L * queries * positions * perCandidate;
    }

    /// <summary>How many queries one batch of <see cref="ScoreSearchWindows"/> takes at this radius.</summary>
    public int QueriesPerBatch(int radius)
    {
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        long floatsPerQuery = positions * ((long)PatchSize * PatchSize + _layers[0].Outputs + 2 + (_layers.Skip(1).Sum(l => (long)l.Outputs) * 2));
        var perQueryBytes = Math.Max(1, floatsPerQuery * 4);
        return (int)Math.Clamp(ScoringMemoryBudgetBytes / perQueryBytes, 1, 256);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {string.Join("-", LayerSizes)} {Activation} {Normalization} (patch {PatchSize}, {History.Count} epochs{(Pretrained ? ", SDAE pre-trained" : string.Empty)})";

    private Tensor ActivateInPlace(Tensor x) => Activation == ActivationKind.Relu ? x.relu_() : x.sigmoid_();

    private (int WindowSide, int Positions) ValidateSearch(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores)
    {
        if (patchSize != PatchSize)
        {
            throw new PatchSizeMismatchException(Name, PatchSize, patchSize);
        }

        // The same contract checks as every other metric's search (images, centres, window fit, buffer size).
        var job = new SearchWindowJob(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        return (job.Width + PatchSize - 1, job.Candidates);
    }

    private List<SearchGroup> PlanSearchGroups(IReadOnlyList<PatchCenter> centres, int radius)
    {
        var half = PatchSize / 2;
        var side = (2 * radius) + PatchSize;
        var mapFloatsPerPosition = (2L * _layers[0].Outputs) + 4;
        var minimum = mapFloatsPerPosition * 4L * ((2L * radius) + 1) * ((2L * radius) + 1);
        var budget = Math.Max(ScoringMemoryBudgetBytes, minimum);
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
                var bytes = mapFloatsPerPosition * 4L * (nx1 - nx0 - PatchSize + 1) * (ny1 - ny0 - PatchSize + 1);
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
            voxels.Slice((int)offset, group.Width).CopyTo(result.AsSpan(r * group.Width, group.Width));
        }

        return result;
    }

    private static float[] ExtractSquare(MedicalImage image, int cx, int cy, int cz, int side)
    {
        var half = side / 2;
        var result = new float[side * side];
        var voxels = image.VoxelSpan;
        var rowBase = (long)image.SizeX * image.SizeY * cz;
        for (var r = 0; r < side; r++)
        {
            var offset = rowBase + ((long)(cy - half + r) * image.SizeX) + (cx - half);
            voxels.Slice((int)offset, side).CopyTo(result.AsSpan(r * side, side));
        }

        return result;
    }

    /// <summary>Queries of one z-slice whose windows share one feature map: the moving region [X0, X0+Width) x [Y0, Y0+Height).</summary>
    private sealed record SearchGroup(int Z, int X0, int Y0, int Width, int Height, int[] Queries);
}
