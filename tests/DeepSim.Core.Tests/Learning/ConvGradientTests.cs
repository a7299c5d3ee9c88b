using DeepSim.Learning;
using DeepSim.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The gradients the two-branch CNN trains with, on self-made data: libtorch's float32 convolution backward (the
/// oneDNN path on x86) against the same network in float64 (libtorch's separate reference kernels), and the float64
/// gradient against central finite differences. Shapes are the trainer's (16 channels, dilations 1, 2, 4, 1, a 1x1
/// output convolution, unit-length vectors); the 3D branch (3x3x3 convolutions with dilations 1, 2 of a 7^3 patch) is
/// checked the same way, and its im2col forward against a direct convolution.
/// </summary>
public sealed class ConvGradientTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(16, 4, 40)]
    [InlineData(8, 2, 32)]
    [InlineData(32, 2, 36)]
    [InlineData(4, 2, 32)]
    [InlineData(12, 2, 32)]
    public void Float32ConvolutionGradientsEqualFloat64(int channels, int batch, int side)
    {
        TorchRuntime.EnsureInitialized();
        var rng = new Random(channels + batch);
        var layers = Branch(channels, rng);
        var input = Random(rng, batch * side * side, 1.0);
        var outSide = side - 16;
        var weightsOut = Random(rng, batch * 16 * outSide * outSide, 1.0);
        var g32 = Gradients(layers, input, weightsOut, [batch, 1, side, side], ScalarType.Float32);
        var g64 = Gradients(layers, input, weightsOut, [batch, 1, side, side], ScalarType.Float64);
        for (var l = 0; l < g64.Length; l++)
        {
            var scale = g64[l].Max(Math.Abs);
            Assert.True(scale > 0, $"layer {l}: zero gradient");
            var worst = g64[l].Zip(g32[l], (a, b) => Math.Abs(a - b)).Max() / scale;
            output.WriteLine($"{channels} channels, batch {batch}, side {side}, layer {l}: {worst:E2}");
        }

        for (var l = 0; l < g64.Length; l++)
        {
            var scale = g64[l].Max(Math.Abs);
            var worst = g64[l].Zip(g32[l], (a, b) => Math.Abs(a - b)).Max() / scale;
            Assert.True(worst < 1e-3, $"layer {l} ({channels} channels): float32 gradient differs from float64 by {worst:E2} of its largest entry");
        }
    }

    [Theory]
    [InlineData(16, 2, 11)]
    [InlineData(8, 2, 10)]
    [InlineData(12, 1, 12)]
    public void Float32Convolution3DGradientsEqualFloat64(int channels, int batch, int side)
    {
        TorchRuntime.EnsureInitialized();
        var rng = new Random(channels + batch + 100);
        var layers = Branch(channels, rng, patch: 7, dims: 3);
        var input = Random(rng, batch * side * side * side, 1.0);
        var outSide = side - 6;
        var weightsOut = Random(rng, batch * 16 * outSide * outSide * outSide, 1.0);
        long[] shape = [batch, 1, side, side, side];
        var g32 = Gradients(layers, input, weightsOut, shape, ScalarType.Float32);
        var g64 = Gradients(layers, input, weightsOut, shape, ScalarType.Float64);
        Assert.Equal(3, g64.Length);
        for (var l = 0; l < g64.Length; l++)
        {
            var scale = g64[l].Max(Math.Abs);
            Assert.True(scale > 0, $"layer {l}: zero gradient");
            var worst = g64[l].Zip(g32[l], (a, b) => Math.Abs(a - b)).Max() / scale;
            output.WriteLine($"3D: {channels} channels, batch {batch}, side {side}, layer {l}: {worst:E2}");
            Assert.True(worst < 1e-3, $"3D layer {l} ({channels} channels): float32 gradient differs from float64 by {worst:E2} of its largest entry");
        }
    }

    [Fact]
    public void Float64Gradient3DEqualsFiniteDifferences()
    {
        TorchRuntime.EnsureInitialized();
        var rng = new Random(13);
        var layers = Branch(8, rng, patch: 7, dims: 3);
        const int side = 10;
        var input = Random(rng, 2 * side * side * side, 1.0);
        var weightsOut = Random(rng, 2 * 16 * 4 * 4 * 4, 1.0);
        long[] shape = [2, 1, side, side, side];
        var g = Gradients(layers, input, weightsOut, shape, ScalarType.Float64);
        CheckFiniteDifferences(layers, input, weightsOut, shape, g, [(0, 5), (0, 26), (1, 300), (1, 1700), (2, 60)]);
    }

    [Fact]
    public void Convolution3DEqualsDirectSum()
    {
        // The im2col convolution of a [2, 3, 9, 8, 7] input (z, y, x) with a dilated 3x3x3 kernel against the definition.
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var rng = new Random(21);
        const int n = 2, cin = 3, cout = 4, d = 9, h = 8, w = 7, k = 3, dil = 2;
        var x = Random(rng, n * cin * d * h * w, 1.0);
        var wt = Random(rng, cout * cin * k * k * k, 1.0);
        var b = Random(rng, cout, 1.0);
        var y = FeatureSimilarityModel.Convolve(
            tensor(x, [n, cin, d, h, w], dtype: ScalarType.Float64), tensor(wt, [cout, cin, k, k, k], dtype: ScalarType.Float64), tensor(b, [cout], dtype: ScalarType.Float64), dil);
        int od = d - 4, oh = h - 4, ow = w - 4;
        Assert.Equal(new long[] { n, cout, od, oh, ow }, y.shape);
        var got = y.contiguous().data<double>().ToArray();
        var i = 0;
        for (var s = 0; s < n; s++)
        {
            for (var o = 0; o < cout; o++)
            {
                for (var z = 0; z < od; z++)
                {
                    for (var yy = 0; yy < oh; yy++)
                    {
                        for (var xx = 0; xx < ow; xx++, i++)
                        {
                            var sum = b[o];
                            for (var c = 0; c < cin; c++)
                            {
                                for (var kz = 0; kz < k; kz++)
                                {
                                    for (var ky = 0; ky < k; ky++)
                                    {
                                        for (var kx = 0; kx < k; kx++)
                                        {
                                            var wv = wt[((((((o * cin) + c) * k) + kz) * k) + ky) * k + kx];
                                            var xv = x[((((((s * cin) + c) * d) + z + (kz * dil)) * h) + yy + (ky * dil)) * w + xx + (kx * dil)];
                                            sum += wv * xv;
                                        }
                                    }
                                }
                            }

                            Assert.Equal(sum, got[i], 10);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Float64GradientEqualsFiniteDifferences()
    {
        TorchRuntime.EnsureInitialized();
        var rng = new Random(3);
        var layers = Branch(8, rng);
        const int side = 24;
        var input = Random(rng, 2 * side * side, 1.0);
        var weightsOut = Random(rng, 2 * 16 * 8 * 8, 1.0);
        long[] shape = [2, 1, side, side];
        var g = Gradients(layers, input, weightsOut, shape, ScalarType.Float64);
        CheckFiniteDifferences(layers, input, weightsOut, shape, g, [(0, 3), (1, 100), (2, 17), (3, 500), (4, 40)]);
    }

    private static void CheckFiniteDifferences(Layer[] layers, double[] input, double[] weightsOut, long[] shape, double[][] g, (int Layer, int Index)[] probes)
    {
        const double eps = 1e-6;
        foreach (var (l, i) in probes)
        {
            var w = layers[l].Weights;
            var saved = w[i];
            w[i] = saved + eps;
            var up = Loss(layers, input, weightsOut, shape);
            w[i] = saved - eps;
            var down = Loss(layers, input, weightsOut, shape);
            w[i] = saved;
            var numeric = (up - down) / (2 * eps);
            Assert.True(Math.Abs(numeric - g[l][i]) < 1e-6 + (1e-5 * Math.Abs(numeric)), $"layer {l} weight {i}: autograd {g[l][i]:E6}, finite difference {numeric:E6}");
        }
    }

    private sealed record Layer(double[] Weights, double[] Bias, int Outputs, int Inputs, int Kernel, int Dilation, int Dims)
    {
        public long[] Shape => Dims == 3 ? [Outputs, Inputs, Kernel, Kernel, Kernel] : [Outputs, Inputs, Kernel, Kernel];
    }

    private static Layer[] Branch(int channels, Random rng, int patch = 17, int dims = 2)
    {
        var list = new List<Layer>();
        var inputs = 1;
        var taps = dims == 3 ? 27 : 9;
        foreach (var d in ConvLayer.DilationsFor(patch))
        {
            list.Add(new Layer(Random(rng, channels * inputs * taps, Math.Sqrt(6.0 / (inputs * taps))), Random(rng, channels, 0.1), channels, inputs, 3, d, dims));
            inputs = channels;
        }

        list.Add(new Layer(Random(rng, 16 * inputs, Math.Sqrt(6.0 / inputs)), Random(rng, 16, 0.1), 16, inputs, 1, 1, dims));
        return [.. list];
    }

    private static double[] Random(Random rng, int n, double limit)
    {
        var v = new double[n];
        for (var i = 0; i < n; i++)
        {
            v[i] = ((rng.NextDouble() * 2) - 1) * limit;
        }

        return v;
    }

    private static Tensor Forward(Layer[] layers, Tensor x, List<Tensor> parameters, ScalarType type)
    {
        var net = new List<(Tensor W, Tensor B, int Dilation)>();
        foreach (var l in layers)
        {
            var w = tensor(l.Weights, l.Shape, dtype: ScalarType.Float64).to_type(type).requires_grad_(true);
            var b = tensor(l.Bias, [l.Outputs], dtype: ScalarType.Float64).to_type(type).requires_grad_(true);
            parameters.Add(w);
            parameters.Add(b);
            net.Add((w, b, l.Dilation));
        }

        return FeatureSimilarityModel.Embed(x, net);
    }

    private static double[][] Gradients(Layer[] layers, double[] input, double[] weightsOut, long[] shape, ScalarType type)
    {
        using var scope = NewDisposeScope();
        var parameters = new List<Tensor>();
        var x = tensor(input, shape, dtype: ScalarType.Float64).to_type(type);
        var y = Forward(layers, x, parameters, type);
        var loss = (y * tensor(weightsOut, y.shape, dtype: ScalarType.Float64).to_type(type)).sum();
        loss.backward();
        return [.. parameters.Where((_, i) => i % 2 == 0).Select(p => p.grad!.to_type(ScalarType.Float64).contiguous().data<double>().ToArray())];
    }

    private static double Loss(Layer[] layers, double[] input, double[] weightsOut, long[] shape)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var y = Forward(layers, tensor(input, shape, dtype: ScalarType.Float64), [], ScalarType.Float64);
        return (y * tensor(weightsOut, y.shape, dtype: ScalarType.Float64)).sum().item<double>();
    }
}
