namespace DeepSim.Learning;

/// <summary>
/// Settings of the similarity network (<see cref="SimilarityTrainer"/>): input 2 x patch^2 (fixed and moving
/// patch side by side), hidden layers <see cref="HiddenLayerSizes"/>, and a two-way softmax (NonMatch, Match)
/// trained with cross-entropy.
/// </summary>
public sealed record SimilarityTrainingOptions
{
    /// <summary>Hidden layer sizes. Default [578, 300, 100] (the paper's 578-578-300-100-2 network).</summary>
    public int[] HiddenLayerSizes { get; init; } = [578, 300, 100];

    /// <summary>Hidden non-linearity. Default sigmoid (matches SDAE pre-training).</summary>
    public ActivationKind Activation { get; init; } = ActivationKind.Sigmoid;

    /// <summary>Maximum number of epochs. Default 20.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Mini-batch size. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Learning rate. Default 1e-3 (Adam).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Optimiser. Default Adam.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Momentum for <see cref="OptimizerKind.Sgd"/>. Default 0.9.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 penalty: WeightDecay/2 times the squared norm of all weights (not biases). Default 1e-4.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Fraction of pairs held out (seeded, stratified by label) for validation. 0 disables validation. Default 0.2.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>
    /// Stop after this many epochs without a lower validation loss and restore the best weights.
    /// Null trains all epochs (the best-validation weights are still restored). Default 5.
    /// </summary>
    public int? EarlyStoppingPatience { get; init; } = 5;

    /// <summary>Seed of every random choice (initial weights, validation split, shuffling). Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>How patches are scaled into inputs; must equal a pre-trained SDAE's. Default <see cref="InputNormalization.ImageRange"/>.</summary>
    public InputNormalization Normalization { get; init; } = InputNormalization.ImageRange;

    /// <summary>
    /// Train on inputs standardised per feature (training-split mean and standard deviation) and fold that affine map
    /// back into layer 1 at the end, so the finished model still takes the normalised patches directly. Only the
    /// optimisation changes (uncentred [0, 1] inputs make a sigmoid network learn very slowly). Default true.
    /// </summary>
    public bool StandardizeInputs { get; init; } = true;

    /// <summary>A progress report is sent every this many batches (and at every epoch end). Default 20.</summary>
    public int ProgressEveryBatches { get; init; } = 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (HiddenLayerSizes is null || HiddenLayerSizes.Length < 1 || HiddenLayerSizes.Any(s => s < 1))
        {
            throw new ArgumentException("SimilarityTrainingOptions.HiddenLayerSizes needs at least one positive size.", nameof(HiddenLayerSizes));
        }

        Check(Epochs >= 1, nameof(Epochs), "must be >= 1");
        Check(BatchSize >= 1, nameof(BatchSize), "must be >= 1");
        Check(LearningRate > 0, nameof(LearningRate), "must be > 0");
        Check(Momentum >= 0 && Momentum < 1, nameof(Momentum), "must be in [0, 1)");
        Check(WeightDecay >= 0, nameof(WeightDecay), "must be >= 0");
        Check(ValidationFraction >= 0 && ValidationFraction < 1, nameof(ValidationFraction), "must be in [0, 1)");
        Check(EarlyStoppingPatience is null || EarlyStoppingPatience >= 1, nameof(EarlyStoppingPatience), "must be >= 1 or null");
        Check(ProgressEveryBatches >= 1, nameof(ProgressEveryBatches), "must be >= 1");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"SimilarityTrainingOptions.{name} {rule}.", name);
        }
    }
}
