using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>The layers of a similarity network as tensors (created inside the caller's dispose scope).</summary>
internal sealed class NetworkTensors
{
    private NetworkTensors(IReadOnlyList<(Tensor W, Tensor B)> layers) => Layers = layers;

    /// <summary>(weight [out, in], bias [out]) per layer.</summary>
    public IReadOnlyList<(Tensor W, Tensor B)> Layers { get; }

    /// <summary>Copies plain layers into new tensors.</summary>
    public static NetworkTensors Create(IReadOnlyList<DenseLayer> layers) =>
        new([.. layers.Select(l => (TorchTraining.FromArray(l.Weights, [l.Outputs, l.Inputs]), TorchTraining.FromArray(l.Bias, [l.Outputs])))]);

    /// <summary>Logits [N, outputs] of inputs [N, in]: hidden layers use <paramref name="activation"/>, the last is linear.</summary>
    public Tensor Forward(Tensor x, ActivationKind activation) => Forward(x, Layers, activation);

    /// <summary>The same for any list of (weight, bias) tensors, e.g. trainable parameters.</summary>
    public static Tensor Forward(Tensor x, IReadOnlyList<(Tensor W, Tensor B)> layers, ActivationKind activation)
    {
        var h = x;
        for (var i = 0; i < layers.Count; i++)
        {
            h = nn.functional.linear(h, layers[i].W, layers[i].B);
            if (i < layers.Count - 1)
            {
                h = TorchTraining.Activate(h, activation);
            }
        }

        return h;
    }
}
