using DeepSim.Runtime;
using Xunit;

namespace DeepSim.Tests.Runtime;

/// <summary>A libtorch that cannot load becomes one exception the cmdlets turn into the TorchRuntimeUnavailable error.</summary>
public class TorchRuntimeUnavailableTests
{
    public static TheoryData<Exception> LoadFailures() =>
    [
        new DllNotFoundException("libLibTorchSharp.so: cannot open shared object file"),
        new BadImageFormatException("wrong architecture"),
        new EntryPointNotFoundException("THSTorch_get_num_threads"),
        new TypeInitializationException("TorchSharp.torch", new DllNotFoundException("version `GLIBCXX_3.4.32' not found")),
    ];

    [Theory]
    [MemberData(nameof(LoadFailures))]
    public void NativeLoadFailuresBecomeTorchRuntimeUnavailable(Exception failure)
    {
        var e = TorchRuntimeUnavailableException.From(failure);
        Assert.NotNull(e);
        Assert.Same(failure, e.InnerException);
        var root = failure is TypeInitializationException t ? t.InnerException! : failure;
        Assert.Contains(root.Message, e.Message);
        Assert.Contains("libtorch", e.Message);
    }

    [Fact]
    public void OtherExceptionsAreNotMistakenForALoadFailure()
    {
        Assert.Null(TorchRuntimeUnavailableException.From(new InvalidOperationException("boom")));
        Assert.Null(TorchRuntimeUnavailableException.From(new ArgumentException("bad")));
        Assert.Null(TorchRuntimeUnavailableException.From(new OperationCanceledException()));
    }

    [Fact]
    public void TheRuntimeOfThisMachineLoads()
    {
        // The converse: where libtorch loads, initialising raises nothing (so the conversion never hides a working runtime).
        TorchRuntime.EnsureInitialized();
        Assert.True(TorchRuntime.IsInitialized);
    }
}
