using DeepSim.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Adam and SGD with momentum as TorchSharp 0.107 computes them (the same tensor operations in the same order, so the
/// same numbers), but with every scalar held until the step ends. TorchSharp's own optimisers convert their
/// hyper-parameters to temporary scalars in each step, which its finalizers can free while libtorch still reads them
/// (see <see cref="HeldScalars"/>); a trainer that steps thousands of times hit that now and then.
/// </summary>
internal abstract class HeldOptimizer : IDisposable
{
    protected HeldOptimizer(IEnumerable<Parameter> parameters, double learningRate, double weightDecay)
    {
        Parameters = [.. parameters];
        LearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    /// <summary>The learning rate of the next step (a schedule may change it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>L2 weight decay added to the gradient (PyTorch's <c>weight_decay</c>).</summary>
    public double WeightDecay { get; }

    protected IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Creates the optimiser named by <paramref name="kind"/>.</summary>
    public static HeldOptimizer Create(OptimizerKind kind, IEnumerable<Parameter> parameters, double learningRate, double momentum, double weightDecay = 0) =>
        kind switch
        {
            OptimizerKind.Adam => new HeldAdam(parameters, learningRate, weightDecay),
            OptimizerKind.Sgd => new HeldSgd(parameters, learningRate, momentum, weightDecay),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimiser."),
        };

    /// <summary>Sets every parameter's gradient to zero (as TorchSharp's <c>zero_grad</c>: in place, kept allocated).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters)
        {
            using var g = p.grad;
            g?.zero_();
        }
    }

    /// <summary>One step from the parameters' current gradients (parameters without a gradient are skipped).</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        StepCore();
    }

    /// <summary>
    /// One step of minimising <paramref name="loss"/>: zeroes the gradients, back-propagates, steps, and returns the
    /// loss's value; throws <see cref="InvalidOperationException"/> if it is not finite (<paramref name="stage"/> and
    /// <paramref name="where"/> name what diverged, e.g. "Training" and "epoch 3, step 7").
    /// </summary>
    public float Minimize(Tensor loss, string stage, string where)
    {
        ZeroGrad();
        loss.backward();
        Step();
        var value = loss.item<float>();
        return float.IsFinite(value)
            ? value
            : throw new InvalidOperationException($"{stage} diverged at {where} (loss {value}); lower the learning rate ({LearningRate}).");
    }

    public virtual void Dispose()
    {
    }

    protected abstract void StepCore();

    /// <summary>The gradient with the L2 decay added (<c>grad + weightDecay x param</c>), or the gradient itself.</summary>
    protected Tensor DecayedGradient(Tensor grad, Tensor param, Scalar? weightDecay) =>
        weightDecay is null ? grad : grad.add(param, weightDecay);
}

/// <summary>Adam (Kingma and Ba; PyTorch's defaults: betas 0.9, 0.999, eps 1e-8, no AMSGrad).</summary>
internal sealed class HeldAdam(IEnumerable<Parameter> parameters, double learningRate, double weightDecay)
    : HeldOptimizer(parameters, learningRate, weightDecay)
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;
    private readonly Dictionary<int, (Tensor ExpAvg, Tensor ExpAvgSq, int Step)> _state = [];

    public override void Dispose()
    {
        foreach (var (a, b, _) in _state.Values)
        {
            a.Dispose();
            b.Dispose();
        }

        _state.Clear();
    }

    protected override void StepCore()
    {
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var decay = WeightDecay.ToScalar();
        for (var i = 0; i < Parameters.Count; i++)
        {
            var param = Parameters[i];
            var grad = param.grad;
            if (grad is null)
            {
                continue;
            }

            if (!_state.TryGetValue(i, out var state))
            {
                state = (zeros_like(param).DetachFromDisposeScope(), zeros_like(param).DetachFromDisposeScope(), 0);
            }

            state.Step++;
            _state[i] = state;
            var biasCorrection1 = 1 - Math.Pow(Beta1, state.Step);
            var biasCorrection2 = 1 - Math.Pow(Beta2, state.Step);
            grad = DecayedGradient(grad, param, WeightDecay != 0 ? decay : null);
            state.ExpAvg.mul_(beta1).add_(grad, oneMinusBeta1);
            state.ExpAvgSq.mul_(beta2).addcmul_(grad, grad.conj(), oneMinusBeta2);
            using var rootCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            var denominator = state.ExpAvgSq.sqrt().div(rootCorrection2).add_(epsilon, HeldScalars.One);
            using var step = (-(LearningRate / biasCorrection1)).ToScalar();
            param.addcdiv_(state.ExpAvg, denominator, step);
        }
    }
}

/// <summary>Stochastic gradient descent with (heavy-ball) momentum, no dampening, no Nesterov (PyTorch's SGD).</summary>
internal sealed class HeldSgd(IEnumerable<Parameter> parameters, double learningRate, double momentum, double weightDecay)
    : HeldOptimizer(parameters, learningRate, weightDecay)
{
    private readonly Dictionary<int, Tensor> _buffers = [];

    public override void Dispose()
    {
        foreach (var b in _buffers.Values)
        {
            b.Dispose();
        }

        _buffers.Clear();
    }

    protected override void StepCore()
    {
        using var momentumScalar = momentum.ToScalar();
        using var decay = WeightDecay.ToScalar();
        using var minusLearningRate = (-LearningRate).ToScalar();
        for (var i = 0; i < Parameters.Count; i++)
        {
            var param = Parameters[i];
            var grad = param.grad;
            if (grad is null)
            {
                continue;
            }

            grad = DecayedGradient(grad, param, WeightDecay != 0 ? decay : null);
            if (momentum != 0)
            {
                if (!_buffers.TryGetValue(i, out var buffer))
                {
                    buffer = grad.clone().detach().DetachFromDisposeScope();
                    _buffers[i] = buffer;
                }
                else
                {
                    buffer.mul_(momentumScalar).add_(grad, HeldScalars.One);
                }

                grad = buffer;
            }

            param.add_(grad, minusLearningRate);
        }
    }
}
