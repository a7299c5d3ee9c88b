using System.Runtime.InteropServices;

namespace DeepSim.Runtime;

/// <summary>
/// Prepares the native runtime before libtorch first loads. libgomp reads OMP_WAIT_POLICY once, when it
/// initialises; on a 2-vCPU host its spinning worker threads can stall training for seconds per epoch.
/// .NET's Environment.SetEnvironmentVariable does not reach native code on Linux, so libc's setenv is used.
/// </summary>
/// <remarks>
/// The two static fields are the one piece of process-wide state in DeepSim, and deliberately so: they guard the
/// one-time load of the native library, which exists once per process whatever the number of runspaces.
/// Everything a user can set (the intra-op thread count) is per runspace, carried by <see cref="TorchThreads"/>.
/// </remarks>
public static partial class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _initialised;
    private static int _processDefaultThreads;

    /// <summary>
    /// libtorch's own choice of intra-op threads when it loaded (normally the number of cores), or 0 before it loads.
    /// Computations without a <see cref="TorchThreads"/> limit use this count.
    /// </summary>
    public static int ProcessDefaultThreads
    {
        get
        {
            lock (Gate)
            {
                return _processDefaultThreads;
            }
        }
    }

    /// <summary>True once <see cref="EnsureInitialized"/> has run in this process.</summary>
    public static bool IsInitialized
    {
        get
        {
            lock (Gate)
            {
                return _initialised;
            }
        }
    }

    /// <summary>
    /// Sets OMP_WAIT_POLICY=PASSIVE (unless the user set it) and loads libtorch, once per process; then sets the
    /// calling thread's intra-op thread count to the limit of <see cref="TorchThreads.Current"/> (or the process
    /// default). Thread-safe; every entry point that touches TorchSharp calls it first, on the thread that computes.
    /// </summary>
    /// <exception cref="TorchRuntimeUnavailableException">libtorch cannot be loaded in this process.</exception>
    public static void EnsureInitialized()
    {
        int fallback;
        lock (Gate)
        {
            if (!_initialised)
            {
                SetNativeEnvironmentDefault("OMP_WAIT_POLICY", "PASSIVE");
                try
                {
                    TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
                }
                catch (Exception e) when (TorchRuntimeUnavailableException.From(e) is { } unavailable)
                {
                    throw unavailable;
                }

                _processDefaultThreads = Math.Max(1, TorchSharp.torch.get_num_threads());
                _initialised = true;
            }

            fallback = _processDefaultThreads;
        }

        TorchThreads.ApplyToCurrentThread(fallback);
    }

    /// <summary>Value of a variable in the native (libc) environment, which is what libgomp reads.</summary>
    public static string? GetNativeEnvironment(string name)
    {
        if (OperatingSystem.IsWindows())
        {
            return Environment.GetEnvironmentVariable(name);
        }

        var p = getenv(name);
        return p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
    }

    private static void SetNativeEnvironmentDefault(string name, string value)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
        {
            return;
        }

        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows())
        {
            _ = setenv(name, value, 0);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
