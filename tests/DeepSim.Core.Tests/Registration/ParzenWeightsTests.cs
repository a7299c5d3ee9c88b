using DeepSim.Registration;
using Xunit;
using static DeepSim.Runtime.HeldScalars;
using static TorchSharp.torch;

namespace DeepSim.Tests.Registration;

/// <summary>
/// The histogram metrics' Parzen weights: the four-bin form <see cref="HistogramRegistrationMetric.ParzenWeights"/>
/// against the reference that evaluates the cubic kernel at every bin (<see cref="HistogramRegistrationMetric.DenseParzenWeights"/>),
/// in value and in gradient, on own random intensities that include the range's ends, values outside it and values
/// that land exactly on bin centres.
/// </summary>
public sealed class ParzenWeightsTests
{
    [Theory]
    [InlineData(8, 1)]
    [InlineData(32, 2)]
    [InlineData(64, 3)]
    public void FourBinWeightsEqualTheDenseReference(int bins, int seed)
    {
        using var scope = NewDisposeScope();
        var range = (Min: -40f, Max: 210f);
        var values = Intensities(range, bins, seed);

        var x1 = tensor(values).requires_grad_(true);
        var x2 = tensor(values).requires_grad_(true);
        var sparse = HistogramRegistrationMetric.ParzenWeights(x1, range, bins);
        var dense = HistogramRegistrationMetric.DenseParzenWeights(x2, range, bins);
        var a = sparse.detach().data<float>().ToArray();
        var b = dense.detach().data<float>().ToArray();
        Assert.Equal(b.Length, a.Length);
        for (var i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6, $"weight {i / bins},{i % bins}: {a[i]} against {b[i]}");
        }

        // Every row is a partition of unity (the cubic B-spline's), so the four bins carry all the weight.
        var rows = sparse.detach().sum(1).data<float>().ToArray();
        Assert.All(rows, r => Assert.InRange(r, 1 - 1e-5, 1 + 1e-5));

        // The same gradient for an arbitrary downstream weighting of the bins.
        var weighting = tensor(Enumerable.Range(0, values.Length * bins).Select(i => (float)Math.Sin(i * 0.37)).ToArray(), [values.Length, bins]);
        var g1 = autograd.grad([sparse.mul(weighting).sum()], [x1])[0].data<float>().ToArray();
        var g2 = autograd.grad([dense.mul(weighting).sum()], [x2])[0].data<float>().ToArray();
        for (var i = 0; i < g1.Length; i++)
        {
            Assert.True(Math.Abs(g1[i] - g2[i]) <= 1e-5 * Math.Max(1, Math.Abs(g2[i])), $"gradient {i} (value {values[i]}): {g1[i]} against {g2[i]}");
        }
    }

    [Fact]
    public void MutualInformationIsUnchangedOnARegistrationLevel()
    {
        // The metric's value and its gradient in the transform, with the four-bin weights, against the dense reference
        // computed from the same samples.
        using var scope = NewDisposeScope();
        var random = new Random(5);
        var f = Enumerable.Range(0, 3000).Select(_ => (float)(random.NextDouble() * 100)).ToArray();
        var m = f.Select(v => (float)(Math.Sqrt(v) * 7 + (random.NextDouble() * 5))).ToArray();
        var range = (Min: 0f, Max: 100f);
        var mRange = (Min: 0f, Max: 75f);
        double Mi(bool sparse, out float[] gradient)
        {
            var shift = tensor(new float[] { 0.3f }).requires_grad_(true);
            var mt = tensor(m).add(shift, One);
            var wf = sparse ? HistogramRegistrationMetric.ParzenWeights(tensor(f), range, 32) : HistogramRegistrationMetric.DenseParzenWeights(tensor(f), range, 32);
            var wm = sparse ? HistogramRegistrationMetric.ParzenWeights(mt, mRange, 32) : HistogramRegistrationMetric.DenseParzenWeights(mt, mRange, 32);
            var joint = wf.t().matmul(wm).div(OfInteger(f.Length));
            var pf = joint.sum(1, keepdim: false);
            var pm = joint.sum(0, keepdim: false);
            var mi = (joint * joint.add(Of(1e-10), One).log()).sum() - (pf * pf.add(Of(1e-10), One).log()).sum() - (pm * pm.add(Of(1e-10), One).log()).sum();
            gradient = autograd.grad([mi], [shift])[0].data<float>().ToArray();
            return mi.item<float>();
        }

        var miSparse = Mi(sparse: true, out var gSparse);
        var miDense = Mi(sparse: false, out var gDense);
        Assert.True(miDense > 0.5, $"the test's intensities should share information (MI {miDense})");
        Assert.Equal(miDense, miSparse, 5);
        Assert.Equal(gDense[0], gSparse[0], 4);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void FixedSideWeightsEqualTheTensorPath(int dimension)
    {
        // The fixed Parzen matrix computed in C# (interpolation and four weights per sample) against grid_sample of the
        // level's fixed image, the dense weights and the valid flags; shifted so that some samples fall outside the moving
        // image (zero rows).
        using var scope = NewDisposeScope();
        var image = dimension == 2 ? RegistrationTestImages.Blobs2D(40) : RegistrationTestImages.Blobs3D(16);
        var o = new RegistrationOptions { Transform = RegistrationTransformKind.Translation, ShrinkFactors = [2, 1], SampleCount = 600 };
        var center = ImageRegistration.Center(image);
        double[] shift = dimension == 2 ? [9.5, -3.25] : [5.5, -2.25, 1.75];
        var model = new TranslationModel(dimension, shift);
        foreach (var levelIndex in new[] { 0, 1 })
        {
            using var level = ImageRegistration.BuildLevel(levelIndex, image, image, o, center, model, new Random(3));
            var indices = level.DrawSampleIndices();
            var (f, _, v) = level.Sample(indices);
            var invalid = v.numel() - v.sum().item<float>();
            Assert.True(invalid > 0, "some samples should map outside the moving image");
            var fast = HistogramRegistrationMetric.FixedParzenWeights(level, indices, v, 32).data<float>().ToArray();
            var reference = HistogramRegistrationMetric.DenseParzenWeights(f, level.FixedRange, 32).mul(v.unsqueeze(1)).data<float>().ToArray();
            Assert.Equal(reference.Length, fast.Length);
            for (var i = 0; i < fast.Length; i++)
            {
                Assert.True(Math.Abs(fast[i] - reference[i]) <= 2e-5, $"level {levelIndex}, sample {i / 32}, bin {i % 32}: {fast[i]} against {reference[i]}");
            }
        }
    }

    /// <summary>Random intensities over and beyond the range, plus the ends and values that scale onto bin centres.</summary>
    private static float[] Intensities((float Min, float Max) range, int bins, int seed)
    {
        var random = new Random(seed);
        var width = range.Max - range.Min;
        var values = new List<float> { range.Min, range.Max, range.Min - 10, range.Max + 10 };
        for (var c = 2; c <= bins - 3; c++)
        {
            values.Add(range.Min + (width * (c - 2) / (bins - 5)));
        }

        for (var i = 0; i < 500; i++)
        {
            values.Add((float)(range.Min + (width * ((random.NextDouble() * 1.2) - 0.1))));
        }

        return [.. values];
    }
}
