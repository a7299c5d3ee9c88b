namespace DeepSim.Learning;

/// <summary>
/// One fully connected layer y = W x + b as plain arrays: <see cref="Weights"/> is row-major
/// <see cref="Outputs"/> x <see cref="Inputs"/>, <see cref="Bias"/> has <see cref="Outputs"/> values.
/// </summary>
public sealed class DenseLayer
{
    /// <summary>Creates a layer; arrays are taken, not copied.</summary>
    public DenseLayer(int outputs, int inputs, float[] weights, float[] bias)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        if (weights.Length != (long)outputs * inputs || bias.Length != outputs)
        {
            throw new ArgumentException($"A {outputs}x{inputs} layer needs {outputs * inputs} weights and {outputs} biases (got {weights.Length} and {bias.Length}).");
        }

        Outputs = outputs;
        Inputs = inputs;
        Weights = weights;
        Bias = bias;
    }

    /// <summary>Number of output units (rows of W).</summary>
    public int Outputs { get; }

    /// <summary>Number of inputs (columns of W).</summary>
    public int Inputs { get; }

    /// <summary>Row-major Outputs x Inputs weights.</summary>
    public float[] Weights { get; }

    /// <summary>One bias per output.</summary>
    public float[] Bias { get; }

    /// <summary>A deep copy.</summary>
    public DenseLayer Clone() => new(Outputs, Inputs, (float[])Weights.Clone(), (float[])Bias.Clone());

    /// <inheritdoc />
    public override string ToString() => $"{Inputs} -> {Outputs}";
}
