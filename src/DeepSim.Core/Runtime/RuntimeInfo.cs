using static TorchSharp.torch;

namespace DeepSim.Runtime;

/// <summary>
/// What the native runtime is and whether it computes. Threads is the intra-op thread count the calling flow computes
/// with (its <see cref="TorchThreads"/> limit, else ProcessDefaultThreads); ThreadLimit is that limit, null when none.
/// </summary>
public sealed record RuntimeInfo(
    string TorchSharpVersion,
    string LibTorchFolder,
    int Threads,
    string? OmpWaitPolicy,
    double ProbeResult,
    int? ThreadLimit = null,
    int ProcessDefaultThreads = 0)
{
    /// <summary>Runspaces of this process running DeepSim commands at the time of the probe (this one included when called from a cmdlet); above 1, a flow without an explicit limit computes with max(1, ProcessorCount / ActiveRunspaces) threads.</summary>
    public int ActiveRunspaces { get; init; }

    /// <summary>The learned-metric scoring plan in use and what its self-check found, or null when it was not run.</summary>
    public ScoringCheckResult? ScoringCheck { get; init; }

    /// <summary>Loads libtorch if needed and computes sum(arange(1..100)) = 5050 with it.</summary>
    public static RuntimeInfo Probe()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var t = arange(HeldScalars.OfInteger(1), HeldScalars.OfInteger(101), HeldScalars.OfInteger(1), dtype: ScalarType.Float64);
        var sum = t.sum().item<double>();
        var asm = typeof(TorchSharp.torch).Assembly;
        return new RuntimeInfo(
            asm.GetName().Version?.ToString() ?? "unknown",
            Path.GetDirectoryName(asm.Location) ?? string.Empty,
            get_num_threads(),
            TorchRuntime.GetNativeEnvironment("OMP_WAIT_POLICY"),
            sum,
            TorchThreads.Current,
            TorchRuntime.ProcessDefaultThreads)
        {
            ActiveRunspaces = TorchThreads.ActiveOwners,
        };
    }
}
