using DeepSim.Runtime;
using DeepSim.Tests.Learning;
using Xunit;

namespace DeepSim.Tests.Runtime;

/// <summary>
/// The automatic share of the cores between runspaces that compute at once (<see cref="TorchThreads.Enter"/>): the
/// count of distinct owners, nested leases, the division, and the explicit limit winning. Runs alone, because a lease
/// changes the thread count of every flow without an explicit limit.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class TorchThreadShareTests
{
    [Theory]
    [InlineData(8, 1, 8)]
    [InlineData(8, 2, 4)]
    [InlineData(8, 3, 2)]
    [InlineData(2, 2, 1)]
    [InlineData(2, 5, 1)]
    [InlineData(1, 1, 1)]
    public void AutoLimitDividesTheCoresRoundingDownAndNeverGoesBelowOne(int processors, int owners, int expected)
    {
        Assert.Equal(expected, TorchThreads.AutoLimit(processors, owners));
        Assert.True(expected * Math.Min(owners, processors) <= processors);
    }

    [Fact]
    public void AutoLimitRejectsCountsBelowOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.AutoLimit(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.AutoLimit(4, 0));
    }

    [Fact]
    public void LeasesCountDistinctOwnersNestPerOwnerAndEndOnce()
    {
        var before = TorchThreads.ActiveOwners;
        object a = Guid.NewGuid(), b = Guid.NewGuid();
        var a1 = TorchThreads.Enter(a);
        var a2 = TorchThreads.Enter(a); // a second DeepSim command in the same runspace's pipeline
        Assert.Equal(before + 1, TorchThreads.ActiveOwners);
        using (TorchThreads.Enter(b))
        {
            Assert.Equal(before + 2, TorchThreads.ActiveOwners);
        }

        Assert.Equal(before + 1, TorchThreads.ActiveOwners);
        a1.Dispose();
        a1.Dispose(); // a second Dispose must not release a2's hold
        Assert.Equal(before + 1, TorchThreads.ActiveOwners);
        a2.Dispose();
        Assert.Equal(before, TorchThreads.ActiveOwners);
        Assert.Throws<ArgumentNullException>(() => TorchThreads.Enter(null!));
    }

    [Fact]
    public async Task TwoOwnersComputingAtOnceEachGetTheirShareAndAnExplicitLimitWins()
    {
        TorchRuntime.EnsureInitialized();
        var initial = TorchThreads.Current;
        try
        {
            TorchThreads.SetCurrent(null);
            Assert.Equal(0, TorchThreads.ActiveOwners);
            Assert.Null(TorchThreads.Effective);

            using (TorchThreads.Enter("runspace 1"))
            {
                Assert.Null(TorchThreads.Effective); // alone: libtorch's default
                using (TorchThreads.Enter("runspace 2"))
                {
                    var share = TorchThreads.AutoLimit(Environment.ProcessorCount, 2);
                    Assert.Equal(share, TorchThreads.Effective);

                    // The share reaches the thread that computes, as the explicit limit does.
                    var seen = await Task.Factory.StartNew(
                        () =>
                        {
                            TorchRuntime.EnsureInitialized();
                            return TorchSharp.torch.get_num_threads();
                        },
                        CancellationToken.None,
                        TaskCreationOptions.LongRunning,
                        TaskScheduler.Default);
                    Assert.Equal(share, seen);

                    TorchThreads.SetCurrent(3);
                    Assert.Equal(3, TorchThreads.Effective);
                    TorchThreads.SetCurrent(null);
                }
            }

            Assert.Null(TorchThreads.Effective);
        }
        finally
        {
            TorchThreads.SetCurrent(initial);
        }
    }
}
