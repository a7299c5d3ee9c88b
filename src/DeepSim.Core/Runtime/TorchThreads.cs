namespace DeepSim.Runtime;

/// <summary>
/// The number of intra-op threads libtorch may use for the computations started from the current logical flow (a
/// PowerShell runspace's pipeline thread and the tasks it starts), so that several runspaces computing at once
/// (<c>ForEach-Object -Parallel</c>) do not each spread over every core.
/// </summary>
/// <remarks>
/// <para>What libtorch allows: its thread count is not a per-session setting. <c>torch.set_num_threads</c> stores a
/// process-wide default (read by threads that start computing later) and sets the OpenMP and MKL thread counts of the
/// calling OS thread only (libgomp keeps <c>nthreads-var</c> per thread; libtorch reads it back with
/// <c>omp_get_max_threads</c>). Two threads can therefore compute with different counts at the same time, but a
/// thread that never sets its count inherits whatever another thread last stored. DeepSim therefore sets the count
/// explicitly on every thread, every time it starts a computation (<see cref="TorchRuntime.EnsureInitialized"/>): the
/// limit of the current flow, or libtorch's process default when there is none. The count a computation uses is then
/// decided by its own runspace only, never by what another runspace ran before.</para>
/// <para>The limit flows with <see cref="ExecutionContext"/> (an <see cref="AsyncLocal{T}"/>), so a worker task started
/// by a cmdlet computes with its runspace's limit. The PowerShell layer sets it per cmdlet from the runspace's
/// <c>$DeepSimThreadLimit</c> variable, or 1 inside <c>ForEach-Object -Parallel</c> when the variable is unset.</para>
/// <para>Numbers: float32 results of some libtorch kernels (oneDNN convolutions) can depend on the thread count, so
/// runs compare bit for bit only at equal thread counts.</para>
/// </remarks>
public static class TorchThreads
{
    private static readonly AsyncLocal<int?> Limit = new();

    /// <summary>The intra-op thread limit of the current flow, or null for libtorch's process default.</summary>
    public static int? Current => Limit.Value;

    /// <summary>Sets the current flow's limit (null: no limit); it applies to computations started afterwards from this flow.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The limit is less than 1.</exception>
    public static void SetCurrent(int? threads)
    {
        if (threads is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "The thread limit must be at least 1.");
        }

        Limit.Value = threads;
    }

    /// <summary>Sets the calling OS thread's libtorch thread count to the current limit, or <paramref name="fallback"/> without one.</summary>
    internal static void ApplyToCurrentThread(int fallback)
    {
        var want = Limit.Value ?? fallback;
        if (TorchSharp.torch.get_num_threads() != want)
        {
            TorchSharp.torch.set_num_threads(want);
        }
    }
}
