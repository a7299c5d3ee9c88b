namespace DeepSim.Learning;

/// <summary>
/// Per-feature standardisation x' = (x - mean) / std used during fine-tuning, and the exact conversion of a first
/// layer between raw-input space (W, b) and standardised space (W', b'): W'_ij = W_ij std_j, b'_i = b_i + sum_j W_ij mean_j.
/// </summary>
internal sealed class InputStandardization
{
    private const double MinStd = 1e-3;
    private readonly double[] _mean;
    private readonly double[] _std;

    private InputStandardization(double[] mean, double[] std)
    {
        _mean = mean;
        _std = std;
    }

    /// <summary>No change (mean 0, std 1).</summary>
    public static InputStandardization Identity(int width) => new(new double[width], [.. Enumerable.Repeat(1.0, width)]);

    /// <summary>Mean and standard deviation of each column over the given rows.</summary>
    public static InputStandardization Fit(float[] data, int width, IReadOnlyList<long> rows)
    {
        var mean = new double[width];
        var sq = new double[width];
        foreach (var r in rows)
        {
            var row = data.AsSpan((int)(r * width), width);
            for (var j = 0; j < width; j++)
            {
                mean[j] += row[j];
            }
        }

        for (var j = 0; j < width; j++)
        {
            mean[j] /= rows.Count;
        }

        foreach (var r in rows)
        {
            var row = data.AsSpan((int)(r * width), width);
            for (var j = 0; j < width; j++)
            {
                var d = row[j] - mean[j];
                sq[j] += d * d;
            }
        }

        var std = new double[width];
        for (var j = 0; j < width; j++)
        {
            std[j] = Math.Max(MinStd, Math.Sqrt(sq[j] / rows.Count));
        }

        return new InputStandardization(mean, std);
    }

    /// <summary>Standardises every row of <paramref name="data"/> in place.</summary>
    public void Apply(float[] data)
    {
        var width = _mean.Length;
        for (var i = 0; i < data.Length; i++)
        {
            var j = i % width;
            data[i] = (float)((data[i] - _mean[j]) / _std[j]);
        }
    }

    /// <summary>
    /// A first layer for standardised inputs. A pre-trained layer (raw space) is converted exactly; a randomly
    /// initialised one is kept as it is, since its initialisation is meant for standardised inputs.
    /// </summary>
    public DenseLayer ToStandardizedSpace(DenseLayer layer, bool convert)
    {
        if (!convert)
        {
            return layer;
        }

        var w = new float[layer.Weights.Length];
        var b = new float[layer.Outputs];
        for (var i = 0; i < layer.Outputs; i++)
        {
            double bias = layer.Bias[i];
            for (var j = 0; j < layer.Inputs; j++)
            {
                var wij = layer.Weights[(i * layer.Inputs) + j];
                w[(i * layer.Inputs) + j] = (float)(wij * _std[j]);
                bias += wij * _mean[j];
            }

            b[i] = (float)bias;
        }

        return new DenseLayer(layer.Outputs, layer.Inputs, w, b);
    }

    /// <summary>The same layer for raw (normalised, not standardised) inputs.</summary>
    public DenseLayer ToRawSpace(DenseLayer layer)
    {
        var w = new float[layer.Weights.Length];
        var b = new float[layer.Outputs];
        for (var i = 0; i < layer.Outputs; i++)
        {
            double bias = layer.Bias[i];
            for (var j = 0; j < layer.Inputs; j++)
            {
                var wij = layer.Weights[(i * layer.Inputs) + j] / _std[j];
                w[(i * layer.Inputs) + j] = (float)wij;
                bias -= wij * _mean[j];
            }

            b[i] = (float)bias;
        }

        return new DenseLayer(layer.Outputs, layer.Inputs, w, b);
    }
}
