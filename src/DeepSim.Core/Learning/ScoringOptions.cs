using DeepSim.Runtime;

namespace DeepSim.Learning;

/// <summary>Arithmetic used by <see cref="SimilarityModel.ScoreSearchWindows"/>.</summary>
public enum ScoringPrecision
{
    /// <summary>32-bit floating point throughout (default).</summary>
    Float32 = 0,

    /// <summary>bfloat16 for the matrix products of layers 2.. (faster on CPUs with native bfloat16, less precise).</summary>
    BFloat16 = 1,
}

/// <summary>Settings of search-window scoring with a learned model. Not saved with the model.</summary>
public sealed record ScoringOptions
{
    /// <summary>Default memory budget of one query batch (256 MiB).</summary>
    public const long DefaultMemoryBudgetBytes = 256L * 1024 * 1024;

    /// <summary>Arithmetic of layers 2.. (default float32).</summary>
    public ScoringPrecision Precision { get; init; } = ScoringPrecision.Float32;

    /// <summary>Approximate memory one query batch may use (default 256 MiB; at least one query per batch).</summary>
    public long MemoryBudgetBytes { get; init; } = DefaultMemoryBudgetBytes;

    /// <summary>Which native kernels compute the scores (default: the fastest plan verified on this machine).</summary>
    public ScoringKernels Kernels { get; init; } = ScoringKernels.Auto;

    /// <summary>
    /// When true (default) every batch of the fast plans is compared, on a few candidates, with full forward passes of
    /// those candidates; a mismatch switches the process to the next plan and rescores the batch.
    /// </summary>
    public bool SpotCheck { get; init; } = true;
}
