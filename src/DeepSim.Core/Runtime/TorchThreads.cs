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
/// <c>$DeepSimThreadLimit</c> variable.</para>
/// <para>Without an explicit limit the count is shared out automatically: every runspace that is running a DeepSim
/// command holds a lease (<see cref="Enter"/>), and a computation that starts while N &gt; 1 runspaces hold one uses
/// <see cref="AutoLimit"/>(ProcessorCount, N) = max(1, ProcessorCount / N) threads; alone, it uses libtorch's process
/// default. This covers every way of running several runspaces in one process (<c>ForEach-Object -Parallel</c>,
/// <c>Start-ThreadJob</c>, runspace pools, several remote sessions served by one process). The count is read when a
/// computation starts, so it follows runspaces as they come and go, and it depends on timing: learned-metric scores
/// (whose float32 sums can depend on the thread count) are bit-identical between runs only with an explicit limit.
/// Separate processes (Start-Job, one pwsh per SSH session) each see only their own runspaces.</para>
/// <para>Numbers: float32 results of some libtorch kernels (oneDNN convolutions) can depend on the thread count, so
/// runs compare bit for bit only at equal thread counts.</para>
/// </remarks>
public static class TorchThreads
{
    private static readonly AsyncLocal<int?> Limit = new();

    // Process-wide by nature: the cores are shared by every runspace of the process. Guarded by Gate; holds only
    // counts per owner, no state of any computation.
    private static readonly object Gate = new();
    private static readonly Dictionary<object, int> Leases = [];

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

    /// <summary>Runspaces (or other owners) holding a lease now: the N of <see cref="AutoLimit"/>.</summary>
    public static int ActiveOwners
    {
        get
        {
            lock (Gate)
            {
                return Leases.Count;
            }
        }
    }

    /// <summary>
    /// The thread count that a computation started now from this flow gets: the flow's explicit limit; else, while
    /// several owners hold leases, <see cref="AutoLimit"/>; else null (libtorch's process default).
    /// </summary>
    public static int? Effective => Limit.Value ?? (ActiveOwners is var n && n > 1 ? AutoLimit(Environment.ProcessorCount, n) : null);

    /// <summary>The automatic share of <paramref name="processors"/> cores for one of <paramref name="activeOwners"/> concurrent owners: max(1, processors / owners), rounded down so that the shares never add up to more than the cores.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is less than 1.</exception>
    public static int AutoLimit(int processors, int activeOwners)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(processors, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(activeOwners, 1);
        return Math.Max(1, processors / activeOwners);
    }

    /// <summary>
    /// Marks <paramref name="owner"/> (a runspace's id) as computing until the returned lease is disposed. Leases of one
    /// owner nest (a pipeline of several DeepSim commands counts once); disposing a lease twice has no further effect.
    /// </summary>
    public static IDisposable Enter(object owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (Gate)
        {
            Leases[owner] = Leases.GetValueOrDefault(owner) + 1;
        }

        return new Lease(owner);
    }

    /// <summary>Sets the calling OS thread's libtorch thread count to <see cref="Effective"/>, or <paramref name="fallback"/> without one.</summary>
    internal static void ApplyToCurrentThread(int fallback)
    {
        var want = Effective ?? fallback;
        if (TorchSharp.torch.get_num_threads() != want)
        {
            TorchSharp.torch.set_num_threads(want);
        }
    }

    private static void Leave(object owner)
    {
        lock (Gate)
        {
            if (Leases.TryGetValue(owner, out var n))
            {
                if (n <= 1)
                {
                    Leases.Remove(owner);
                }
                else
                {
                    Leases[owner] = n - 1;
                }
            }
        }
    }

    private sealed class Lease(object owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Leave(owner);
            }
        }
    }
}
