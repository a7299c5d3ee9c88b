namespace DeepSim.Runtime;

/// <summary>
/// The native libtorch runtime could not be loaded (missing or incompatible native libraries, e.g. a libstdc++ too
/// old for LibTorchSharp), so nothing that needs TorchSharp can run in this process.
/// </summary>
public sealed class TorchRuntimeUnavailableException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>
    /// The failure to report when <paramref name="error"/> is how a native load fails (a library not found, not
    /// loadable, missing an entry point, or TorchSharp's type initialiser failing); null for any other exception.
    /// </summary>
    public static TorchRuntimeUnavailableException? From(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var root = error is TypeInitializationException { InnerException: { } inner } ? inner : error;
        return root is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException or TypeInitializationException
            ? new TorchRuntimeUnavailableException($"The native libtorch runtime could not be loaded, so models cannot be trained or scored in this process: {root.Message} Check that the module folder holds libtorch and LibTorchSharp for this platform (Get-DeepSimRuntime reports what loaded).", error)
            : null;
    }
}
