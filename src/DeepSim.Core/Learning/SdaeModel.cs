namespace DeepSim.Learning;

/// <summary>
/// One trained denoising autoencoder of an <see cref="SdaeModel"/>: sigmoid encoder, sigmoid (or, for
/// z-scored first-level inputs, linear) decoder, and how well it reconstructs.
/// </summary>
/// <param name="Level">1-based level: 1 = the per-modality autoencoders, 2.. = shared ones.</param>
/// <param name="Name">"fixed", "moving" (level 1) or "shared".</param>
/// <param name="Encoder">Hidden = sigmoid(Encoder x).</param>
/// <param name="Decoder">Reconstruction = sigmoid(Decoder h), or Decoder h when <paramref name="LinearDecoder"/>.</param>
/// <param name="LinearDecoder">True when the reconstruction is linear (inputs not confined to [0, 1]).</param>
/// <param name="EpochReconstructionErrors">Per epoch, the mean squared error per input value of reconstructing the clean input from the corrupted one.</param>
/// <param name="ReconstructionError">The last epoch's reconstruction error.</param>
/// <param name="MeanHiddenActivation">Mean hidden activation over all units and training inputs (clean) after training.</param>
public sealed record SdaeAutoencoder(
    int Level,
    string Name,
    DenseLayer Encoder,
    DenseLayer Decoder,
    bool LinearDecoder,
    double[] EpochReconstructionErrors,
    double ReconstructionError,
    double MeanHiddenActivation);

/// <summary>
/// A multimodal stacked denoising autoencoder trained by <see cref="SdaeTrainer"/>: a fixed-patch and a
/// moving-patch autoencoder at level 1, then shared autoencoders. Its encoders initialise the bottom layers of a
/// <see cref="SimilarityModel"/> (see <see cref="SimilarityTrainer.Train"/>).
/// </summary>
public sealed class SdaeModel
{
    /// <summary>Creates a model (used by the trainer and by <see cref="ModelFile"/>).</summary>
    public SdaeModel(
        int patchSize,
        InputNormalization normalization,
        SdaeOptions options,
        IReadOnlyList<SdaeAutoencoder> autoencoders,
        int trainingPairCount,
        DateTimeOffset createdUtc)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(autoencoders);
        if (autoencoders.Count < 2 || autoencoders[0].Name != "fixed" || autoencoders[1].Name != "moving")
        {
            throw new ArgumentException("An SDAE starts with a 'fixed' and a 'moving' level-1 autoencoder.", nameof(autoencoders));
        }

        PatchSize = patchSize;
        Normalization = normalization;
        Options = options;
        Autoencoders = autoencoders;
        TrainingPairCount = trainingPairCount;
        CreatedUtc = createdUtc;
    }

    /// <summary>
    /// The pairs it was trained on, kept in memory (never saved to a model file) so that a pipeline can go on to
    /// fine-tune on the same data; null for a model read from a file.
    /// </summary>
    public IReadOnlyList<Patches.PatchPair>? TrainingPairs { get; set; }

    /// <summary>Side length of the patches it was trained on.</summary>
    public int PatchSize { get; }

    /// <summary>2 when trained on square patches, 3 on cubic patches (PatchSize^3 values per modality).</summary>
    public int PatchDimension => Imaging.MedicalImage.PatchDimensionOf(Autoencoders[0].Encoder.Inputs, PatchSize) is 3 ? 3 : 2;

    /// <summary>How patches were scaled into inputs.</summary>
    public InputNormalization Normalization { get; }

    /// <summary>The options it was trained with.</summary>
    public SdaeOptions Options { get; }

    /// <summary>All autoencoders, level 1 fixed, level 1 moving, then one per shared level.</summary>
    public IReadOnlyList<SdaeAutoencoder> Autoencoders { get; }

    /// <summary>Number of pairs it was trained on.</summary>
    public int TrainingPairCount { get; }

    /// <summary>When training finished (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>The DeepSim model file format version this model is written with.</summary>
    public int FormatVersion => ModelFile.CurrentVersion;

    /// <summary>Width of each encoder level: level 1 counts both modality autoencoders (e.g. [578, 300, 100]).</summary>
    public int[] EncoderSizes =>
        [Autoencoders[0].Encoder.Outputs + Autoencoders[1].Encoder.Outputs, .. Autoencoders.Skip(2).Select(a => a.Encoder.Outputs)];

    /// <summary>
    /// The encoders as a feed-forward stack on the concatenated input (fixed patch, then moving patch):
    /// level 1 becomes one block-diagonal layer [[W_fixed, 0], [0, W_moving]].
    /// </summary>
    public IReadOnlyList<DenseLayer> GetEncoderStack()
    {
        var f = Autoencoders[0].Encoder;
        var m = Autoencoders[1].Encoder;
        var outputs = f.Outputs + m.Outputs;
        var inputs = f.Inputs + m.Inputs;
        var w = new float[outputs * inputs];
        for (var r = 0; r < f.Outputs; r++)
        {
            Array.Copy(f.Weights, r * f.Inputs, w, r * inputs, f.Inputs);
        }

        for (var r = 0; r < m.Outputs; r++)
        {
            Array.Copy(m.Weights, r * m.Inputs, w, ((f.Outputs + r) * inputs) + f.Inputs, m.Inputs);
        }

        var layers = new List<DenseLayer> { new(outputs, inputs, w, [.. f.Bias, .. m.Bias]) };
        layers.AddRange(Autoencoders.Skip(2).Select(a => a.Encoder.Clone()));
        return layers;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"SDAE {2 * Autoencoders[0].Encoder.Inputs}-{string.Join("-", EncoderSizes)} ({Normalization}, {TrainingPairCount} pairs)";
}
