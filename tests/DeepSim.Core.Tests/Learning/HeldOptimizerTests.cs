using DeepSim.Learning;
using DeepSim.Runtime;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace DeepSim.Tests.Learning;

/// <summary>
/// DeepSim's optimisers replace TorchSharp's to hold their scalars (<see cref="HeldOptimizer"/>): they must give
/// TorchSharp's numbers bit for bit, step after step, with and without weight decay and with a learning rate changed
/// between steps (the CNN trainer's schedule). Own data; TorchSharp's optimisers run only here, as the reference.
/// </summary>
public class HeldOptimizerTests
{
    [Theory]
    [InlineData(OptimizerKind.Adam, 0.0, 0.0)]
    [InlineData(OptimizerKind.Adam, 0.0, 1e-3)]
    [InlineData(OptimizerKind.Sgd, 0.9, 0.0)]
    [InlineData(OptimizerKind.Sgd, 0.9, 1e-3)]
    [InlineData(OptimizerKind.Sgd, 0.0, 0.0)]
    public void GivesTorchSharpsNumbersBitForBit(OptimizerKind kind, double momentum, double weightDecay)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var rng = new Random(7);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1))];
        var start = new[] { Values(12), Values(5) };
        var inputs = Values(40);
        Parameter[] Make() => [TorchTraining.NewParameter(start[0], 3, 4), TorchTraining.NewParameter(start[1], 5)];
        var ours = Make();
        var theirs = Make();
        using var held = HeldOptimizer.Create(kind, ours, 0.05, momentum, weightDecay);
        using var reference = kind == OptimizerKind.Adam
            ? (optim.Optimizer)optim.Adam(theirs, 0.05, weight_decay: weightDecay)
            : optim.SGD(theirs, 0.05, momentum, weight_decay: weightDecay);
        using var x = TorchTraining.FromArray(inputs, 10, 4);

        for (var step = 0; step < 6; step++)
        {
            // A loss with curvature so the moments differ between steps; the schedule changes the rate at step 3.
            var lr = step < 3 ? 0.05 : 0.02;
            held.LearningRate = lr;
            foreach (var group in reference.ParamGroups)
            {
                group.LearningRate = lr;
            }

            Loss(ours, x).backward();
            Loss(theirs, x).backward();
            held.Step();
            reference.step();
            held.ZeroGrad();
            reference.zero_grad();
            for (var i = 0; i < ours.Length; i++)
            {
                Assert.Equal(TorchTraining.ToArray(theirs[i]), TorchTraining.ToArray(ours[i]));
            }
        }

        // The parameters moved: the comparison above is not between two untouched copies.
        Assert.NotEqual(start[0], TorchTraining.ToArray(ours[0]));
    }

    private static Tensor Loss(Parameter[] p, Tensor x)
    {
        var y = x.matmul(p[0].t()).tanh();
        return (y * y).sum() + (p[1] * p[1] * p[1]).abs().sum();
    }
}
