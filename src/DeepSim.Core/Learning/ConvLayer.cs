namespace DeepSim.Learning;

/// <summary>
/// One 2D or 3D convolution of a <see cref="FeatureSimilarityModel"/> branch as plain arrays: weights
/// [Outputs, Inputs, Kernel, Kernel] (2D) or [Outputs, Inputs, Kernel, Kernel, Kernel] (3D), row-major, biases
/// [Outputs], square or cubic kernel with the given dilation, no padding ("valid"), stride 1. Its receptive-field
/// growth is Dilation x (Kernel - 1) along every axis.
/// </summary>
public sealed class ConvLayer
{
    /// <summary>Creates a layer; the arrays are used as given (not copied).</summary>
    public ConvLayer(int outputs, int inputs, int kernel, int dilation, float[] weights, float[] bias, int dimensions = 2)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilation, 1);
        if (dimensions is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "A convolution is 2D or 3D.");
        }

        var taps = dimensions == 3 ? kernel * kernel * kernel : kernel * kernel;
        if (weights.Length != outputs * inputs * taps || bias.Length != outputs)
        {
            throw new ArgumentException($"A {dimensions}D {outputs}x{inputs} convolution with kernel {kernel} needs {outputs * inputs * taps} weights and {outputs} biases, got {weights.Length} and {bias.Length}.", nameof(weights));
        }

        Outputs = outputs;
        Inputs = inputs;
        Kernel = kernel;
        Dilation = dilation;
        Dimensions = dimensions;
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

    /// <summary>2 (square kernel, images or slices) or 3 (cubic kernel, volumes).</summary>
    public int Dimensions { get; }

    /// <summary>The weight tensor's shape: [Outputs, Inputs, Kernel, Kernel] or, in 3D, [Outputs, Inputs, Kernel, Kernel, Kernel].</summary>
    public long[] WeightShape => Dimensions == 3 ? [Outputs, Inputs, Kernel, Kernel, Kernel] : [Outputs, Inputs, Kernel, Kernel];

    /// <summary>Weights [Outputs, Inputs, Kernel, Kernel(, Kernel)], row-major.</summary>
    public float[] Weights { get; }

    /// <summary>Biases [Outputs].</summary>
    public float[] Bias { get; }

    /// <summary>How many voxels the layer removes from each side of its input (valid convolution).</summary>
    public int Shrink => Dilation * (Kernel - 1) / 2;

    /// <summary>A deep copy.</summary>
    public ConvLayer Clone() => new(Outputs, Inputs, Kernel, Dilation, (float[])Weights.Clone(), (float[])Bias.Clone(), Dimensions);

    /// <summary>
    /// The dilations of a stack of 3x3 (or 3x3x3) convolutions whose receptive field is exactly a patch of side
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
