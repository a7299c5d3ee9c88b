namespace DeepSim.Runtime;

/// <summary>
/// How DeepSim.Learning.SimilarityModel.ScoreSearchWindows computes layer 1's moving half and the later layers. Every plan
/// computes the same scores; they differ in which native kernels they trust. <see cref="Auto"/> takes the fastest plan
/// that the process's self-check (DeepSim.Learning.ScoringSelfCheck) found equal to the reference on this machine, and
/// spot-checks every batch against full forward passes, falling back to a slower plan on a mismatch.
/// </summary>
public enum ScoringKernels
{
    /// <summary>The fastest verified plan (default).</summary>
    Auto = 0,

    /// <summary>Layer 1's moving half as one convolution per slice (oneDNN), later layers as matrix products.</summary>
    Convolution = 1,

    /// <summary>No convolution kernels: layer 1's moving half as unfold + one matrix product, later layers as matrix products.</summary>
    Gemm = 2,

    /// <summary>Every candidate patch extracted and run through the whole network (slow; the definition).</summary>
    Reference = 3,
}

/// <summary>What the search-window scoring self-check found on this machine, in this process.</summary>
/// <param name="Plan">The plan <see cref="ScoringKernels.Auto"/> scoring uses now.</param>
/// <param name="FastPathVerified">True when the plan in use is a fast one that matched the reference.</param>
/// <param name="Threads">libtorch intra-op threads during the check.</param>
/// <param name="OneDnnMaxCpuIsa">ONEDNN_MAX_CPU_ISA as the native runtime saw it, or null.</param>
/// <param name="Findings">One line per plan checked (or found wrong later by a spot check), in order.</param>
public sealed record ScoringCheckResult(ScoringKernels Plan, bool FastPathVerified, int Threads, string? OneDnnMaxCpuIsa, IReadOnlyList<string> Findings)
{
    /// <inheritdoc />
    public override string ToString() => $"{Plan} ({(FastPathVerified ? "verified" : "fallback")}, {Threads} thread(s)): {string.Join("; ", Findings)}";
}
