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
    public const long DefaultScoringMemoryBudgetBytes = ScoringOptions.DefaultMemoryBudgetBytes;

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
        MedicalImage.ThrowIfInvalidPatchSize(patchSize);
        var dimension = layers.Count < 1 || layers[0].Inputs % 2 != 0 ? 0 : MedicalImage.PatchDimensionOf(layers[0].Inputs / 2, patchSize);
        if (dimension == 0 || layers[^1].Outputs != 2)
        {
            throw new ArgumentException($"A similarity network takes 2 x {patchSize}^2 = {2 * patchSize * patchSize} inputs (square patches) or 2 x {patchSize}^3 = {2L * patchSize * patchSize * patchSize} (cubic patches) and ends in 2 outputs.", nameof(layers));
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
        PatchDimension = dimension;
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

    /// <summary>
    /// 2 for a model of square in-plane patches (2 x PatchSize^2 inputs), 3 for a model of cubic patches of volumes
    /// (2 x PatchSize^3 inputs, trained on <c>Get-PatchPair -Volumetric</c> pairs). Follows from the first layer's width,
    /// so model files need no new field.
    /// </summary>
    public int PatchDimension { get; }

    /// <inheritdoc />
    public int? RequiredPatchDimension => PatchDimension;

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

    /// <summary>How <see cref="ScoreSearchWindows"/> computes (precision, memory budget, kernels); not saved with the model.</summary>
    public ScoringOptions Scoring { get; set; } = new();

    /// <summary>Arithmetic of <see cref="ScoreSearchWindows"/>: shorthand for <see cref="Scoring"/>.Precision.</summary>
    public ScoringPrecision Precision
    {
        get => Scoring.Precision;
        set => Scoring = Scoring with { Precision = value };
    }

    /// <summary>Memory one query batch of <see cref="ScoreSearchWindows"/> may use: shorthand for <see cref="Scoring"/>.MemoryBudgetBytes.</summary>
    public long ScoringMemoryBudgetBytes
    {
        get => Scoring.MemoryBudgetBytes;
        set => Scoring = Scoring with { MemoryBudgetBytes = value };
    }

    /// <inheritdoc />
    public void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default)
    {
        if (!PairScoringChecks.Validate(Name, PatchSize, PatchDimension, pairs, scores))
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

            var x = TorchTraining.FromArray(PatchInputs.Build(sub, Normalization), [len, _layers[0].Inputs]);
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
    /// Layer 1's moving half is computed once per z-slice over the bounding box of a group of queries' windows and shared
    /// by them; layers 2.. run as matrix products over a batch of queries' candidates; per-patch z-scores are applied
    /// algebraically (see <see cref="ScoringKernels"/> for the plans). With <see cref="ScoringKernels.Auto"/> (the default)
    /// the plan is the fastest one that <see cref="ScoringSelfCheck"/> verified against <see cref="ScoreSearchWindowsReference"/>
    /// on this machine, and every batch is spot-checked against full forward passes of a few of its candidates, so the
    /// scores equal the reference's up to float32 rounding on any machine. Cancellation is checked and progress (queries
    /// done) reported after every batch. Patches may lie in a slice z = centre.Z of a 3D image (2D patches).
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
        ThrowIfVolumetric();
        new SearchWindowScorer(this, Scoring).Score(fixedImage, movingImage, centres, patchSize, radius, scores, progress, cancellationToken);
    }

    /// <summary>
    /// The 3D search of a model of cubic patches (see <see cref="ISimilarityMetric.ScoreSearchCubes"/>): every
    /// candidate cube is cut out and each query's (2R+1)^3 pairs are scored by <see cref="ScorePairs"/> in batches of
    /// 4,096, so the scores are exactly those of scoring each candidate pair (up to the float32 rounding of batched
    /// matrix products).
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
        if (PatchDimension != 3 || patchSize != PatchSize)
        {
            throw new PatchSizeMismatchException(Name, PatchSize, patchSize, PatchDimension, 3);
        }

        SearchWindowScoring.ScoreCubesByPairs(this, fixedImage, movingImage, centres, patchSize, radius, scores, progress, cancellationToken);
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
        ThrowIfVolumetric();
        new SearchWindowScorer(this, Scoring).ScoreReference(fixedImage, movingImage, centres, patchSize, radius, scores, null, cancellationToken);
    }

    /// <summary>How many queries one batch of <see cref="ScoreSearchWindows"/> takes at this radius (depends on <see cref="Scoring"/>).</summary>
    public int QueriesPerBatch(int radius) => new SearchWindowScorer(this, Scoring).QueriesPerBatch(radius);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {string.Join("-", LayerSizes)} {Activation} {Normalization} (patch {PatchSize}{(PatchDimension == 3 ? "^3" : string.Empty)}, {History.Count} epochs{(Pretrained ? ", SDAE pre-trained" : string.Empty)})";

    /// <summary>A model of cubic patches cannot run the in-plane search: <see cref="PatchSizeMismatchException"/>.</summary>
    private void ThrowIfVolumetric()
    {
        if (PatchDimension == 3)
        {
            throw new PatchSizeMismatchException(Name, PatchSize, PatchSize, 3, 2);
        }
    }

    /// <summary>The <see cref="PatchSize"/> square of <paramref name="image"/>'s slice <paramref name="cz"/> centred at (cx, cy).</summary>
    internal float[] ExtractPatch(MedicalImage image, int cx, int cy, int cz) => image.CopyPatch(cx, cy, cz, PatchSize);
}
