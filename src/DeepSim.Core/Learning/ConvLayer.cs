namespace DeepSim.Learning;

/// <summary>
/// One 2D convolution of a <see cref="FeatureSimilarityModel"/> branch as plain arrays: weights
/// [Outputs, Inputs, Kernel, Kernel] (row-major), biases [Outputs], square kernel with the given dilation, no padding
/// ("valid"), stride 1. Its receptive-field growth is Dilation x (Kernel - 1).
/// </summary>
public sealed class ConvLayer
{
    /// <summary>Creates a layer; the arrays are used as given (not copied).</summary>
    public ConvLayer(int outputs, int inputs, int kernel, int dilation, float[] weights, float[] bias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
        if (weights.Length != outputs * inputs * kernel * kernel || bias.Length != outputs)
        {
            throw new ArgumentException($"A {outputs}x{inputs}x{kernel}x{kernel} convolution needs {outputs * inputs * kernel * kernel} weights and {outputs} biases, got {weights.Length} and {bias.Length}.", nameof(weights));
        }

        Outputs = outputs;
        Inputs = inputs;
        Kernel = kernel;
        Dilation = dilation;
        Weights = weights;
        Bias = bias;
    }

    /// <summary>Output channels.</summary>
    public int Outputs { get; }

    /// <summary>Input channels.</summary>
    public int Inputs { get; }

    /// <summary>Kernel side.</summary>
    public int Kernel { get; }

    /// <summary>Spacing of the kernel taps.</summary>
    public int Dilation { get; }

    /// <summary>Weights [Outputs, Inputs, Kernel, Kernel], row-major.</summary>
    public float[] Weights { get; }

    /// <summary>Biases [Outputs].</summary>
    public float[] Bias { get; }

    /// <summary>How many voxels the layer removes from each side of its input (valid convolution).</summary>
    public int Shrink => Dilation * (Kernel - 1) / 2;

    /// <summary>A deep copy.</summary>
    public ConvLayer Clone() => new(Outputs, Inputs, Kernel, Dilation, (float[])Weights.Clone(), (float[])Bias.Clone());

    /// <summary>
    /// The dilations of a stack of 3x3 convolutions whose receptive field is exactly a patch of side
    /// <paramref name="patchSize"/>: 1, 2, 4, ... doubling while it fits, and the remainder last (17 gives 1, 2, 4, 1).
    /// </summary>
    public static int[] DilationsFor(int patchSize)
    {
        if (patchSize < 3 || patchSize % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "The patch size of a convolutional metric must be odd and at least 3.");
        }

        var remaining = (patchSize - 1) / 2;
        var list = new List<int>();
        var d = 1;
        while (remaining > 0)
        {
            var step = Math.Min(d, remaining);
            list.Add(step);
            remaining -= step;
            d *= 2;
        }

        return [.. list];
    }
}
