namespace DeepSim.Learning;

/// <summary>
/// The settings every mini-batch trainer of patch pairs shares (<see cref="SdaeOptions"/>, <see cref="SimilarityTrainingOptions"/>):
/// batch size, optimiser, L2 weight decay, seed, input normalisation and how often progress is reported.
/// </summary>
public abstract record MiniBatchOptions
{
    /// <summary>Mini-batch size. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Learning rate. Default 1e-3 (Adam).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Optimiser. Default Adam.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Momentum for <see cref="OptimizerKind.Sgd"/>. Default 0.9.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 penalty: WeightDecay/2 times the squared norm of the weights (not the biases). Default 1e-4.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>
    /// Seed of every random choice: initial weights and shuffling, and the trainer's own (the SDAE's corruption, the
    /// similarity network's validation split). Default 1.
    /// </summary>
    public int Seed { get; init; } = 1;

    /// <summary>How patches are scaled into inputs (a similarity network's must equal its pre-trained SDAE's). Default <see cref="InputNormalization.ImageRange"/>.</summary>
    public InputNormalization Normalization { get; init; } = InputNormalization.ImageRange;

    /// <summary>A progress report is sent every this many batches (and at every epoch end). Default 20.</summary>
    public int ProgressEveryBatches { get; init; } = 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid shared setting.</summary>
    protected void ValidateMiniBatch()
    {
        Check(WeightDecay >= 0, nameof(WeightDecay), "must be >= 0");
        Check(BatchSize >= 1, nameof(BatchSize), "must be >= 1");
        Check(LearningRate > 0, nameof(LearningRate), "must be > 0");
        Check(Momentum >= 0 && Momentum < 1, nameof(Momentum), "must be in [0, 1)");
        Check(ProgressEveryBatches >= 1, nameof(ProgressEveryBatches), "must be >= 1");
    }

    /// <summary>Throws <see cref="ArgumentException"/> "Options.Name rule." when <paramref name="ok"/> is false.</summary>
    protected void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"{GetType().Name}.{name} {rule}.", name);
        }
    }
}
