using DeepSim.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>Small TorchSharp helpers shared by the trainers and the scorer (tensors never leave DeepSim.Learning).</summary>
internal static class TorchTraining
{
    /// <summary>A trainable parameter holding a copy of <paramref name="values"/>.</summary>
    public static Parameter NewParameter(float[] values, params long[] shape) => new(FromArray(values, shape), requires_grad: true);

    /// <summary>
    /// A float32 tensor holding a copy of <paramref name="values"/> in memory allocated by libtorch.
    /// torch.tensor(array) keeps the data in a pinned .NET array whose address alignment varies from run to run, and
    /// the CPU kernels' results depend on alignment (differences of ~3e-7 were seen), so every tensor is copied into
    /// libtorch's own aligned allocation to keep results bit-reproducible.
    /// </summary>
    public static Tensor FromArray(float[] values, params long[] shape)
    {
        using var pinned = tensor(values, shape, dtype: ScalarType.Float32);
        return pinned.clone();
    }

    /// <summary>The values of a tensor as a new array.</summary>
    public static float[] ToArray(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>
    /// A layer with seeded Glorot-uniform weights (He-uniform for ReLU) and zero biases.
    /// Initial weights are drawn in .NET from <paramref name="rng"/>, so they do not depend on libtorch's generator.
    /// </summary>
    public static DenseLayer InitLayer(int outputs, int inputs, Random rng, ActivationKind activation)
    {
        var limit = activation == ActivationKind.Relu ? Math.Sqrt(6.0 / inputs) : Math.Sqrt(6.0 / (inputs + outputs));
        var w = new float[outputs * inputs];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (float)(((rng.NextDouble() * 2) - 1) * limit);
        }

        return new DenseLayer(outputs, inputs, w, new float[outputs]);
    }

    /// <summary>Creates the optimiser named by <paramref name="kind"/> (TorchSharp's numbers, held scalars: <see cref="HeldOptimizer"/>).</summary>
    public static HeldOptimizer CreateOptimizer(OptimizerKind kind, IEnumerable<Parameter> parameters, double learningRate, double momentum) =>
        HeldOptimizer.Create(kind, parameters, learningRate, momentum);

    /// <summary>How many mini-batches of <paramref name="batchSize"/> cover <paramref name="rows"/> rows (the last may be shorter).</summary>
    public static int BatchCount(int rows, int batchSize) => (rows + batchSize - 1) / batchSize;

    /// <summary>
    /// One epoch of mini-batch gradient descent, the loop both patch-pair trainers share: shuffles <paramref name="order"/>
    /// with <paramref name="rng"/>, then for each batch of up to <paramref name="batchSize"/> rows checks
    /// <paramref name="cancellationToken"/>, asks <paramref name="loss"/> for the batch's loss (given the batch's row
    /// indices as a tensor and their count), takes one optimiser step (zero_grad, backward, step), and calls
    /// <paramref name="afterStep"/> with the batch number (from 1) and its rows while the batch's tensors are still alive.
    /// The tensors of each batch and of the epoch are disposed when they are done.
    /// </summary>
    public static void MiniBatchEpoch(
        long[] order,
        int batchSize,
        Random rng,
        HeldOptimizer optimizer,
        Func<Tensor, int, Tensor> loss,
        Action<int, int> afterStep,
        CancellationToken cancellationToken)
    {
        Shuffle(order, rng);
        using var epochScope = NewDisposeScope();
        var orderTensor = tensor(order, dtype: ScalarType.Int64);
        var batches = BatchCount(order.Length, batchSize);
        for (var b = 0; b < batches; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var batchScope = NewDisposeScope();
            var start = b * batchSize;
            var len = Math.Min(batchSize, order.Length - start);
            var batchLoss = loss(orderTensor.narrow(0, start, len), len);
            optimizer.ZeroGrad();
            batchLoss.backward();
            optimizer.Step();
            afterStep(b + 1, len);
        }
    }

    /// <summary>The L2 penalty WeightDecay/2 times the sum of the squared entries of <paramref name="weights"/> (summed in order).</summary>
    public static Tensor WeightDecayPenalty(IEnumerable<Tensor> weights, double weightDecay)
    {
        Tensor? l2 = null;
        foreach (var w in weights)
        {
            var sq = w.pow(HeldScalars.OfInteger(2)).sum();
            l2 = l2 is null ? sq : l2.add(sq, HeldScalars.One);
        }

        using var half = (weightDecay / 2).ToScalar();
        return l2!.mul(half);
    }

    /// <summary>Applies the hidden non-linearity.</summary>
    public static Tensor Activate(Tensor x, ActivationKind activation) =>
        activation == ActivationKind.Relu ? nn.functional.relu(x) : sigmoid(x);

    /// <summary>Fisher-Yates shuffle driven by a seeded generator.</summary>
    public static void Shuffle(long[] indices, Random rng)
    {
        for (var i = indices.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
    }

    /// <summary>A seed for libtorch's generator derived from the user's seed and a stream number.</summary>
    public static ulong DeriveSeed(int seed, int stream) => unchecked(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)stream * 0xBF58476D1CE4E5B9UL) ^ 0x94D049BB133111EBUL);
}
