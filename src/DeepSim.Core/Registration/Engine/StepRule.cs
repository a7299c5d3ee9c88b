using DeepSim.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSim.Registration;

/// <summary>
/// The optimiser's update of the parameter tensors from their gradients, with first and second moment estimates as in
/// Adam (beta1 0.9, beta2 0.999, bias-corrected). <see cref="RegistrationOptimizer.Adam"/> divides every parameter's
/// momentum by that parameter's own root-mean-square gradient; <see cref="RegistrationOptimizer.NormalizedGradient"/>
/// divides by one root-mean-square gradient over the whole tensor, so the step follows the gradient's direction and the
/// root-mean-square parameter moves by about the step size.
/// </summary>
internal sealed class StepRule : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private readonly RegistrationOptimizer _kind;
    private readonly IReadOnlyList<Tensor> _parameters;
    private readonly Tensor[] _m1;
    private readonly Tensor[] _m2;
    private int _step;

    public StepRule(RegistrationOptimizer kind, IReadOnlyList<Tensor> parameters)
    {
        _kind = kind;
        _parameters = parameters;
        _m1 = [.. parameters.Select(p => zeros_like(p).detach())];
        _m2 = [.. parameters.Select(p => kind == RegistrationOptimizer.Adam ? zeros_like(p).detach() : zeros(1, dtype: p.dtype))];
    }

    /// <summary>Moves every parameter against its gradient by about <paramref name="stepSize"/> (its units).</summary>
    public void Step(IList<Tensor> gradients, double stepSize)
    {
        _step++;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c1 = 1 - Math.Pow(Beta1, _step);
        var c2 = 1 - Math.Pow(Beta2, _step);
        // Explicit scalars, alive until the end of the step (no implicit temporaries for the collector to finalise
        // while libtorch still reads them).
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var inverseRootC2 = (1 / Math.Sqrt(c2)).ToScalar();
        using var epsilon = 1e-8.ToScalar();
        using var step = (-stepSize / c1).ToScalar();
        for (var i = 0; i < _parameters.Count; i++)
        {
            var g = gradients[i];
            if (g is null || g.IsInvalid)
            {
                continue;
            }

            _m1[i].mul_(beta1).add_(g, oneMinusBeta1);
            if (_kind == RegistrationOptimizer.Adam)
            {
                _m2[i].mul_(beta2).addcmul_(g, g, oneMinusBeta2);
            }
            else
            {
                _m2[i].mul_(beta2).add_(g.pow(HeldScalars.OfInteger(2)).mean(), oneMinusBeta2);
            }

            // p -= stepSize * (m1 / c1) / (sqrt(m2 / c2) + eps)
            var denominator = _m2[i].sqrt().mul_(inverseRootC2).add_(epsilon, HeldScalars.One);
            _parameters[i].addcdiv_(_m1[i], denominator, step);
        }
    }

    public void Dispose()
    {
        foreach (var t in _m1.Concat(_m2))
        {
            t.Dispose();
        }
    }
}
