using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The per-flow libtorch thread limit (<see cref="TorchThreads"/>): it reaches the threads that compute, and DeepSim's
/// scoring gives the reference's numbers whatever the limit.
/// </summary>
public sealed class ThreadLimitTests(ITestOutputHelper output)
{
    private const int Patch = 17;

    [Fact]
    public async Task LimitFlowsToWorkerTasksAndIsAppliedOnTheComputingThread()
    {
        TorchRuntime.EnsureInitialized();
        var initial = TorchThreads.Current;
        try
        {
            TorchThreads.SetCurrent(1);
            var seen = await Task.Factory.StartNew(
                () =>
                {
                    TorchRuntime.EnsureInitialized();
                    return (TorchThreads.Current, TorchSharp.torch.get_num_threads());
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            Assert.Equal((1, 1), seen);

            TorchThreads.SetCurrent(null);
            TorchRuntime.EnsureInitialized();
            Assert.Equal(TorchRuntime.ProcessDefaultThreads, TorchSharp.torch.get_num_threads());
            Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.SetCurrent(0));
        }
        finally
        {
            TorchThreads.SetCurrent(initial);
        }
    }

    [Fact]
    public void ScoringGuardKeepsOneVerdictPerThreadCountWhicheverRunsFirst()
    {
        // A kernel that is right at 1 thread and wrong at 2, as oneDNN's convolution was on one machine.
        double Measure(ScoringKernels plan) => plan == ScoringKernels.Convolution && TorchSharp.torch.get_num_threads() > 1 ? 0.05 : 1e-7;
        var initial = TorchThreads.Current;
        try
        {
            int[][] orders = [[1, 2], [2, 1]];
            foreach (var order in orders)
            {
                var guard = new ScoringGuard(Measure);
                foreach (var threads in order)
                {
                    TorchThreads.SetCurrent(threads);
                    var verdict = guard.Current;
                    Assert.Equal(threads, verdict.Threads);
                    Assert.Equal(threads == 1 ? ScoringKernels.Convolution : ScoringKernels.Gemm, verdict.Plan);
                }

                TorchThreads.SetCurrent(1);
                Assert.Equal(ScoringKernels.Convolution, guard.Current.Plan);

                // A spot-check downgrade at 2 threads leaves the 1-thread verdict alone.
                TorchThreads.SetCurrent(2);
                Assert.Equal(ScoringKernels.Reference, guard.Downgrade(ScoringKernels.Gemm, "test"));
                TorchThreads.SetCurrent(1);
                Assert.Equal(ScoringKernels.Convolution, guard.Current.Plan);
            }
        }
        finally
        {
            TorchThreads.SetCurrent(initial);
        }
    }

    [SkippableFact]
    public void SearchWindowScoringEqualsTheReferenceAtOneAndTwoThreads()
    {
        var ct = TestPatchSampler.LoadPng(TestData.Require("ct-mr-head/CT/16010.png"));
        var mr = TestPatchSampler.LoadPng(TestData.Require("ct-mr-head/MR/16010.png"));
        var model = SimilarityTrainer.Train(TestPatchSampler.Sample(ct, mr, 150, 150, Patch, seed: 7), new SimilarityTrainingOptions { Epochs = 2, Seed = 7 });
        PatchCenter[] centres = [new(97, 106), new(101, 49), new(106, 104), new(92, 229), new(123, 73), new(118, 73)];
        const int radius = 8;
        var n = centres.Length * ((2 * radius) + 1) * ((2 * radius) + 1);
        var initial = TorchThreads.Current;
        try
        {
            var results = new Dictionary<int, (float[] Fast, float[] Reference)>();
            foreach (var threads in new[] { 1, 2 })
            {
                TorchThreads.SetCurrent(threads);
                var fast = new float[n];
                var reference = new float[n];
                model.ScoreSearchWindows(ct, mr, centres, Patch, radius, fast);
                model.ScoreSearchWindowsReference(ct, mr, centres, Patch, radius, reference);
                Assert.Equal(threads, TorchSharp.torch.get_num_threads());
                results[threads] = (fast, reference);
                var scale = Math.Max(1, reference.Max(Math.Abs));
                var diff = fast.Zip(reference, (x, y) => Math.Abs(x - y)).Max();
                output.WriteLine($"{threads} thread(s): max |fast - reference| = {diff:G3} (scale {scale:G3})");
            }

            var crossReference = results[1].Reference.Zip(results[2].Reference, (x, y) => Math.Abs(x - y)).Max();
            var crossFast = results[1].Fast.Zip(results[2].Fast, (x, y) => Math.Abs(x - y)).Max();
            output.WriteLine($"reference 1 vs 2 threads: {crossReference:G3}; fast path 1 vs 2 threads: {crossFast:G3}");
            foreach (var (threads, (fast, reference)) in results)
            {
                var scale = Math.Max(1, reference.Max(Math.Abs));
                Assert.True(fast.Zip(reference, (x, y) => Math.Abs(x - y)).Max() <= 1e-4 * scale, $"{threads} thread(s): the fast path differs from the reference");
            }
        }
        finally
        {
            TorchThreads.SetCurrent(initial);
        }
    }
}
