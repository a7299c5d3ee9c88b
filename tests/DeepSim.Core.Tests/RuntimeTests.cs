using DeepSim.Runtime;
using Xunit;

namespace DeepSim.Tests;

public class RuntimeTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        var info = RuntimeInfo.Probe();
        Assert.Equal(5050, info.ProbeResult);
    }

    [Fact]
    public void OmpWaitPolicyIsPassiveUnlessUserSetIt()
    {
        TorchRuntime.EnsureInitialized();
        var user = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.Equal(string.IsNullOrEmpty(user) || user == "PASSIVE" ? "PASSIVE" : user, TorchRuntime.GetNativeEnvironment("OMP_WAIT_POLICY"));
    }
}
