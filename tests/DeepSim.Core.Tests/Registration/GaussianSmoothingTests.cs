using DeepSim.Registration;
using Xunit;
using static TorchSharp.torch;

namespace DeepSim.Tests.Registration;

/// <summary>
/// <see cref="GaussianSmoothing"/> (the pyramid's separable smoothing in C#) against the reference it replaced:
/// libtorch's zero-padded conv2d/conv3d of the image divided by the same convolution of ones, then every factor-th
/// voxel. Own random data, 2D and 3D, one channel and several, kernels longer than the axis, every factor.
/// </summary>
public sealed class GaussianSmoothingTests
{
    [Theory]
    [InlineData(2, 0.5, 1)]
    [InlineData(2, 1.0, 2)]
    [InlineData(2, 2.0, 4)]
    [InlineData(2, 4.0, 3)]
    [InlineData(3, 0.5, 1)]
    [InlineData(3, 1.0, 2)]
    [InlineData(3, 2.0, 4)]
    [InlineData(3, 5.0, 1)]
    public void EqualsTheConvolutionReference(int dimension, double sigma, int factor)
    {
        int[] size = dimension == 2 ? [37, 29] : [13, 11, 9];
        var values = Random(size.Aggregate(1, (a, b) => a * b), seed: (int)(sigma * 10) + factor + dimension);
        var (actual, dims) = GaussianSmoothing.Smooth(values, size, Enumerable.Range(0, dimension).ToArray(), sigma, factor);
        var expected = Reference(values, size, 1, sigma, factor);
        Assert.Equal(size.Select(s => ((s - 1) / factor) + 1), dims);
        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(2, 1.5)]
    [InlineData(3, 1.0)]
    public void SmoothsTheSpatialAxesOfChannelsLastMaps(int dimension, double sigma)
    {
        // Feature maps: channels innermost. Smoothing axes 1..d must equal smoothing each channel as an image.
        const int channels = 5;
        int[] size = dimension == 2 ? [23, 19] : [11, 9, 7];
        var voxels = size.Aggregate(1, (a, b) => a * b);
        var values = Random(voxels * channels, seed: 3 + dimension);
        var (actual, dims) = GaussianSmoothing.Smooth(values, [channels, .. size], Enumerable.Range(1, dimension).ToArray(), sigma);
        Assert.Equal([channels, .. size], dims);
        var channelsFirst = new float[values.Length];
        for (var v = 0; v < voxels; v++)
        {
            for (var c = 0; c < channels; c++)
            {
                channelsFirst[(c * voxels) + v] = values[(v * channels) + c];
            }
        }

        var expected = Reference(channelsFirst, size, channels, sigma, 1);
        var actualFirst = new float[values.Length];
        for (var v = 0; v < voxels; v++)
        {
            for (var c = 0; c < channels; c++)
            {
                actualFirst[(c * voxels) + v] = actual[(v * channels) + c];
            }
        }

        AssertClose(expected, actualFirst);
    }

    [Fact]
    public void SigmaZeroOnlySubsamplesAndLeavesTheInputAlone()
    {
        var values = Random(7 * 5, seed: 1);
        var copy = (float[])values.Clone();
        var (actual, dims) = GaussianSmoothing.Smooth(values, [7, 5], [0, 1], 0, 2);
        Assert.Equal([4, 3], dims);
        Assert.Equal(values[(2 * 7) + 4], actual[(1 * 4) + 2]);
        Assert.Equal(copy, values);
        var (same, _) = GaussianSmoothing.Smooth(values, [7, 5], [0, 1], 0, 1);
        Assert.NotSame(values, same);
        Assert.Equal(values, same);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianSmoothing.Smooth(new float[6], [3, 2], [0], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianSmoothing.Smooth(new float[6], [3, 2], [0], double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianSmoothing.Smooth(new float[6], [3, 2], [0], 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianSmoothing.Smooth(new float[6], [3, 2], [2], 1));
        Assert.Throws<ArgumentException>(() => GaussianSmoothing.Smooth(new float[7], [3, 2], [0], 1));
    }

    private static float[] Random(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 0.5))];
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst < 2e-6, $"largest difference {worst:G3}");
    }

    /// <summary>
    /// The pyramid's former smoothing: a channels-first [1, C, (Z,) H, W] image convolved per axis by libtorch with
    /// zero padding, divided by the same convolution of ones, then every factor-th voxel; returned flat, channels first.
    /// </summary>
    private static float[] Reference(float[] channelsFirst, int[] size, int channels, double sigma, int factor)
    {
        using var scope = NewDisposeScope();
        var d = size.Length;
        long[] shape = d == 2 ? [channels, 1, size[1], size[0]] : [channels, 1, size[2], size[1], size[0]];
        var image = tensor(channelsFirst, shape).clone();
        var r = GaussianSmoothing.Radius(sigma);
        var k = new float[(2 * r) + 1];
        for (var i = -r; i <= r; i++)
        {
            k[i + r] = (float)Math.Exp(-(i * i) / (2 * sigma * sigma));
        }

        var sum = k.Sum();
        var kernel = tensor(k.Select(v => v / sum).ToArray());
        Tensor Pass(Tensor x)
        {
            for (var axis = 0; axis < d; axis++)
            {
                if (d == 2)
                {
                    var w = axis == 0 ? kernel.view(1, 1, 1, k.Length) : kernel.view(1, 1, k.Length, 1);
                    x = nn.functional.conv2d(x, w, padding: axis == 0 ? [0, r] : [r, 0]);
                }
                else
                {
                    var w = axis == 0 ? kernel.view(1, 1, 1, 1, k.Length) : axis == 1 ? kernel.view(1, 1, 1, k.Length, 1) : kernel.view(1, 1, k.Length, 1, 1);
                    long[] pad = axis == 0 ? [0, 0, r] : axis == 1 ? [0, r, 0] : [r, 0, 0];
                    x = nn.functional.conv3d(x, w, padding: pad);
                }
            }

            return x;
        }

        var smoothed = Pass(image).div(Pass(ones_like(image)));
        var step = TensorIndex.Slice(null, null, factor);
        smoothed = d == 2 ? smoothed[.., .., step, step] : smoothed[.., .., step, step, step];
        return smoothed.contiguous().data<float>().ToArray();
    }
}
