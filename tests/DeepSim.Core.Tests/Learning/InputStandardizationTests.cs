using DeepSim.Learning;
using Xunit;

namespace DeepSim.Tests.Learning;

/// <summary>The affine input standardisation used in fine-tuning folds exactly into and out of layer 1.</summary>
public sealed class InputStandardizationTests
{
    [Fact]
    public void FoldingIntoLayerOneGivesTheSameOutputsOnRawInputs()
    {
        var rng = new Random(3);
        const int width = 12;
        const int rows = 50;
        var data = new float[rows * width];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((rng.NextDouble() * (1 + (i % width))) + (i % 5));
        }

        var raw = (float[])data.Clone();
        var standard = InputStandardization.Fit(data, width, [.. Enumerable.Range(0, rows).Select(i => (long)i)]);
        standard.Apply(data);
        var column0 = Enumerable.Range(0, rows).Select(r => (double)data[r * width]).ToArray();
        Assert.Equal(0, column0.Average(), 5);
        Assert.Equal(1, Math.Sqrt(column0.Select(v => v * v).Average()), 4);

        var layer = new DenseLayer(4, width, [.. Enumerable.Range(0, 4 * width).Select(_ => (float)(rng.NextDouble() - 0.5))], [0.1f, -0.2f, 0.3f, 0f]);
        var folded = standard.ToRawSpace(layer);
        var roundTrip = standard.ToRawSpace(standard.ToStandardizedSpace(layer, convert: true));
        for (var r = 0; r < rows; r++)
        {
            var onStandard = Apply(layer, data.AsSpan(r * width, width));
            var onRaw = Apply(folded, raw.AsSpan(r * width, width));
            for (var o = 0; o < 4; o++)
            {
                Assert.Equal(onStandard[o], onRaw[o], 1e-4);
            }
        }

        for (var i = 0; i < layer.Weights.Length; i++)
        {
            Assert.Equal(layer.Weights[i], roundTrip.Weights[i], 1e-5);
        }

        Assert.Same(layer, standard.ToStandardizedSpace(layer, convert: false));
    }

    private static double[] Apply(DenseLayer layer, ReadOnlySpan<float> x)
    {
        var y = new double[layer.Outputs];
        for (var o = 0; o < layer.Outputs; o++)
        {
            double s = layer.Bias[o];
            for (var i = 0; i < layer.Inputs; i++)
            {
                s += layer.Weights[(o * layer.Inputs) + i] * x[i];
            }

            y[o] = s;
        }

        return y;
    }
}
