namespace DeepSim.Learning;

/// <summary>
/// Settings of multimodal stacked-denoising-autoencoder pre-training (<see cref="SdaeTrainer"/>).
/// Defaults follow the paper: a 578-wide first level made of two 289 -> 289 modality autoencoders side by side
/// (17x17 patches), then shared 578 -> 300 and 300 -> 100 levels; masking noise; sigmoid hidden units with a
/// KL sparsity penalty and weight decay.
/// </summary>
public sealed record SdaeOptions : MiniBatchOptions
{
    /// <summary>
    /// Hidden sizes per level. The first is the width of both modality autoencoders together (each gets half);
    /// later ones are shared autoencoders stacked on top. Default [578, 300, 100].
    /// </summary>
    public int[] LayerSizes { get; init; } = [578, 300, 100];

    /// <summary>Kind of input corruption. Default masking noise.</summary>
    public CorruptionKind Corruption { get; init; } = CorruptionKind.Masking;

    /// <summary>Masking probability, or Gaussian standard deviation (in normalised input units). Default 0.2.</summary>
    public double CorruptionLevel { get; init; } = 0.2;

    /// <summary>Target mean activation rho of each hidden unit. Default 0.05.</summary>
    public double SparsityTarget { get; init; } = 0.05;

    /// <summary>Weight beta of the KL(rho || mean activation) penalty, summed over hidden units. 0 disables it. Default 0.1.</summary>
    public double SparsityWeight { get; init; } = 0.1;

    /// <summary>Epochs per autoencoder. Default 20.</summary>
    public int EpochsPerLayer { get; init; } = 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (LayerSizes is null || LayerSizes.Length < 1 || LayerSizes.Any(s => s < 1))
        {
            throw new ArgumentException("SdaeOptions.LayerSizes needs at least one positive size.", nameof(LayerSizes));
        }

        if (LayerSizes[0] % 2 != 0)
        {
            throw new ArgumentException($"SdaeOptions.LayerSizes[0] = {LayerSizes[0]} must be even: it is two modality autoencoders side by side.", nameof(LayerSizes));
        }

        Check(CorruptionLevel >= 0 && (Corruption != CorruptionKind.Masking || CorruptionLevel < 1), nameof(CorruptionLevel), "must be >= 0 (and < 1 for masking)");
        Check(SparsityTarget > 0 && SparsityTarget < 1, nameof(SparsityTarget), "must be in (0, 1)");
        Check(SparsityWeight >= 0, nameof(SparsityWeight), "must be >= 0");
        Check(EpochsPerLayer >= 1, nameof(EpochsPerLayer), "must be >= 1");
        ValidateMiniBatch();
    }
}
