namespace DeepSim.Learning;

/// <summary>
/// Settings of the similarity network (<see cref="SimilarityTrainer"/>): input 2 x patch^2 (fixed and moving
/// patch side by side), hidden layers <see cref="HiddenLayerSizes"/>, and a two-way softmax (NonMatch, Match)
/// trained with cross-entropy.
/// </summary>
public sealed record SimilarityTrainingOptions : MiniBatchOptions
{
    /// <summary>Hidden layer sizes. Default [578, 300, 100] (the paper's 578-578-300-100-2 network).</summary>
    public int[] HiddenLayerSizes { get; init; } = [578, 300, 100];

    /// <summary>Hidden non-linearity. Default sigmoid (matches SDAE pre-training).</summary>
    public ActivationKind Activation { get; init; } = ActivationKind.Sigmoid;

    /// <summary>Maximum number of epochs. Default 20.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Fraction of pairs held out (seeded, stratified by label) for validation. 0 disables validation. Default 0.2.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>
    /// Stop after this many epochs without a lower validation loss and restore the best weights.
    /// Null trains all epochs (the best-validation weights are still restored). Default 5.
    /// </summary>
    public int? EarlyStoppingPatience { get; init; } = 5;

    /// <summary>
    /// Train on inputs standardised per feature (training-split mean and standard deviation) and fold that affine map
    /// back into layer 1 at the end, so the finished model still takes the normalised patches directly. Only the
    /// optimisation changes (uncentred [0, 1] inputs make a sigmoid network learn very slowly). Default true.
    /// </summary>
    public bool StandardizeInputs { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (HiddenLayerSizes is null || HiddenLayerSizes.Length < 1 || HiddenLayerSizes.Any(s => s < 1))
        {
            throw new ArgumentException("SimilarityTrainingOptions.HiddenLayerSizes needs at least one positive size.", nameof(HiddenLayerSizes));
        }

        Check(Epochs >= 1, nameof(Epochs), "must be >= 1");
        Check(ValidationFraction >= 0 && ValidationFraction < 1, nameof(ValidationFraction), "must be in [0, 1)");
        Check(EarlyStoppingPatience is null || EarlyStoppingPatience >= 1, nameof(EarlyStoppingPatience), "must be >= 1 or null");
        ValidateMiniBatch();
    }
}
