using static TorchSharp.torch;

namespace DeepSim.Registration;

/// <summary>
/// A metric that can drive a registration: a differentiable cost built from a <see cref="RegistrationLevel"/>
/// (lower is better). The built-in measures (<see cref="RegistrationMetrics"/>) and learned models implement it; a new
/// learned model plugs in by implementing it (sample patches or points through <see cref="RegistrationLevel.Sample"/>,
/// evaluate the network with autograd, return the negated mean similarity).
/// </summary>
public interface IRegistrationMetric
{
    /// <summary>The name shown in results ("MI", "LCC", a model's name).</summary>
    string Name { get; }

    /// <summary>The patch side in level voxels this metric evaluates, or null for point-wise metrics.</summary>
    int? PatchSize { get; }

    /// <summary>The cost at the current transform: a scalar tensor with gradients towards the transform.</summary>
    Tensor Cost(RegistrationLevel level);
}
