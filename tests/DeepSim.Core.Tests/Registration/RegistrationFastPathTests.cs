using DeepSim.Imaging;
using DeepSim.Registration;
using Xunit;
using static DeepSim.Runtime.HeldScalars;
using static TorchSharp.torch;

namespace DeepSim.Tests.Registration;

/// <summary>
/// The registration engine's fast paths against their references: the B-spline's C# interpolation weights against the
/// former tensor code, its bending energy as a quadratic form against the differences of the coefficient array, the
/// whole-grid paths against the point-by-point ones: the B-spline's separable
/// warp of every voxel of a level (<see cref="BSplineModel.WarpFullGrid"/>) against <see cref="BSplineModel.Warp"/>
/// (values and gradients in the coefficients), <see cref="RegistrationLevel.Sample"/> on the level's own grid against the
/// same indices in another tensor and LCC's per-level fixed statistics against a fresh level. Own images: an oblique,
/// anisotropic 2D grid and a 3D grid, random coefficients.
/// </summary>
public sealed class RegistrationFastPathTests
{
    [Theory]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 0)]
    [InlineData(3, 1)]
    public void SeparableWarpEqualsThePointByPointWarp(int dimension, int levelIndex)
    {
        using var scope = NewDisposeScope();
        var (fixedImage, moving) = Images(dimension);
        var o = new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = [2, 1] };
        var center = ImageRegistration.Center(fixedImage);
        var model = Model(fixedImage, center, seed: 3 + levelIndex);
        using var level = ImageRegistration.BuildLevel(levelIndex, fixedImage, moving, o, center, model, new Random(1));

        var physical = Physical(level);
        var fast = model.WarpFullGrid(level, physical);
        Assert.NotNull(fast);
        var reference = model.Warp(physical);
        AssertClose(reference, fast!, 2e-4, "warped points (mm)");

        var weighting = tensor(Enumerable.Range(0, (int)reference.numel()).Select(i => (float)Math.Cos(i * 0.11)).ToArray(), reference.shape);
        var coefficients = model.Parameters[0];
        var gFast = autograd.grad([fast!.mul(weighting).sum()], [coefficients])[0];
        var gReference = autograd.grad([reference.mul(weighting).sum()], [coefficients])[0];
        AssertClose(gReference, gFast, 2e-3, "gradient in the coefficients");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void InterpolationWeightsEqualTheTensorReference(int dimension)
    {
        // Random points over and beyond the control grid (the clamped starts at the borders), as dense [points x control
        // points] weight matrices: where a coordinate is a whole number the two may pick neighbouring starts whose extra
        // weight is the kernel's 0 at 2.
        using var scope = NewDisposeScope();
        var (fixedImage, _) = Images(dimension);
        var center = ImageRegistration.Center(fixedImage);
        var model = Model(fixedImage, center, seed: 5);
        var random = new Random(dimension);
        var n = 700;
        var values = Enumerable.Range(0, n * dimension).Select(_ => (float)((random.NextDouble() * 90) - 45)).ToArray();
        var points = tensor(values, [n, dimension]);
        var (i1, w1) = model.InterpolationWeights(points);
        var (i2, w2) = model.InterpolationWeightsReference(points);
        Assert.Equal(i2.shape, i1.shape);
        var controls = model.Grid.ControlPointCount;
        Tensor Dense(Tensor index, Tensor weights) => zeros([n, controls], dtype: ScalarType.Float32).scatter_add(1, index, weights);
        AssertClose(Dense(i2, w2), Dense(i1, w1), 1e-6, "interpolation weights");
        AssertClose(model.Warp(points), ReferenceWarp(model, points, i2, w2), 1e-5, "warped points");
    }

    [Theory]
    [InlineData(2, 9)]
    [InlineData(2, 4)]
    [InlineData(3, 9)]
    public void BendingEnergyAsAQuadraticFormEqualsTheDifferences(int dimension, double spacing)
    {
        using var scope = NewDisposeScope();
        var (fixedImage, _) = Images(dimension);
        var center = ImageRegistration.Center(fixedImage);
        var model = Model(fixedImage, center, seed: 13, spacing);
        Assert.True(model.Grid.ControlPointCount <= 4096, "the test must exercise the quadratic form");
        var coefficients = model.Parameters[0];
        var fast = model.Penalty()!;
        var reference = model.PenaltyReference();
        var e = reference.item<float>();
        Assert.True(e > 0);
        Assert.True(Math.Abs(fast.item<float>() - e) <= 1e-4 * e, $"energy {fast.item<float>()} against {e}");
        var g1 = autograd.grad([fast], [coefficients])[0];
        var g2 = autograd.grad([reference], [coefficients])[0];
        AssertClose(g2, g1, 1e-4, "gradient of the energy");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SamplingTheLevelsOwnGridEqualsSamplingTheSameIndices(int dimension)
    {
        using var scope = NewDisposeScope();
        var (fixedImage, moving) = Images(dimension);
        var o = new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = [2, 1] };
        var center = ImageRegistration.Center(fixedImage);
        var model = Model(fixedImage, center, seed: 7);
        using var level = ImageRegistration.BuildLevel(1, fixedImage, moving, o, center, model, new Random(1));

        var all = level.AllIndices();
        Assert.Same(all, level.AllIndices());
        var copy = all.clone(); // the same indices, not the level's tensor: the reference path
        var (f1, m1, v1) = level.Sample(all);
        var (f2, m2, v2) = level.Sample(copy);
        AssertClose(f2, f1, 1e-6, "fixed values"); // grid_sample rounds its normalised coordinates: exact within 1e-6
        AssertClose(v2, v1, 0, "valid flags");
        AssertClose(m2, m1, 1e-3, "moving values");
        Assert.True(v1.sum().item<float>() > 0.5 * v1.numel(), "most of the grid should map inside the moving image");
    }

    [Fact]
    public void AGridWhoseAxesAreNotTheLevelsFallsBackToThePointByPointWarp()
    {
        using var scope = NewDisposeScope();
        var (fixedImage, moving) = Images(2);
        var o = new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = [1] };
        var center = ImageRegistration.Center(fixedImage);
        // A control grid laid on an image rotated against the fixed one.
        var rotated = new MedicalImage(new float[40 * 40], 40, 40, 1, new ImageGeometry([1.5, 1.5, 1], [-20, -10, 0], Direction(0.6)));
        var model = new BSplineModel(2, [0, 0], BSplineTransform.ForImage(rotated, 10), center);
        using var level = ImageRegistration.BuildLevel(0, fixedImage, moving, o, center, model, new Random(1));
        Assert.Null(model.WarpFullGrid(level, Physical(level)));
        var (_, m, v) = level.Sample(level.AllIndices());
        Assert.Equal(level.Size.Aggregate(1, (a, b) => a * b), (int)m.numel());
        Assert.True(v.sum().item<float>() > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LccKeepsNoStaleStateAcrossIterations(bool squared)
    {
        // The fixed statistics are cached on the level; the cost after the transform changed must equal the cost on a
        // fresh level with the same transform.
        using var scope = NewDisposeScope();
        var (fixedImage, moving) = Images(2);
        var o = new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = [1] };
        var center = ImageRegistration.Center(fixedImage);
        var model = Model(fixedImage, center, seed: 11);
        var metric = new LocalCorrelationRegistrationMetric(2, squared);
        using var level = ImageRegistration.BuildLevel(0, fixedImage, moving, o, center, model, new Random(1));
        var first = metric.Cost(level).item<float>();
        using (no_grad())
        {
            model.Parameters[0].mul_(Of(0.5));
        }

        var second = metric.Cost(level).item<float>();
        using var fresh = ImageRegistration.BuildLevel(0, fixedImage, moving, o, center, model, new Random(1));
        var reference = metric.Cost(fresh).item<float>();
        Assert.NotEqual(first, second);
        Assert.Equal(reference, second, 5);
    }

    private static Tensor ReferenceWarp(BSplineModel model, Tensor points, Tensor index, Tensor weights)
    {
        var d = model.Dimension;
        var n = points.shape[0];
        var k = index.shape[1];
        var gathered = model.Parameters[0].index_select(1, index.reshape(n * k)).view(d, n, k);
        var displacement = (gathered * weights.unsqueeze(0)).sum(2, keepdim: false).t();
        float[] shift = d == 2 ? [0.7f, -0.4f] : [0.7f, -0.4f, 0.3f];
        using var t0 = tensor(shift, [d]);
        return points.add(displacement, One).add(t0, One);
    }

    private static (MedicalImage Fixed, MedicalImage Moving) Images(int dimension)
    {
        if (dimension == 2)
        {
            var blobs = RegistrationTestImages.Blobs2D(48);
            // Oblique and anisotropic: the separable path must hold on any grid the B-spline is laid on.
            var geometry = new ImageGeometry([1.3, 0.8, 1], [-12, 5, 0], Direction(0.35));
            var f = new MedicalImage(blobs.GetVoxels(), 48, 48, 1, geometry);
            var m = new MedicalImage([.. blobs.GetVoxels().Select(v => 120 - v)], 48, 48, 1, geometry);
            return (f, m);
        }

        var b3 = RegistrationTestImages.Blobs3D(20);
        var g3 = new ImageGeometry([1.5, 1.2, 2.0], [3, -4, 7], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
        return (new MedicalImage(b3.GetVoxels(), 20, 20, 20, g3), new MedicalImage([.. b3.GetVoxels().Select(v => v * 0.5f)], 20, 20, 20, g3));
    }

    private static double[] Direction(double angle) => [Math.Cos(angle), -Math.Sin(angle), 0, Math.Sin(angle), Math.Cos(angle), 0, 0, 0, 1];

    private static BSplineModel Model(MedicalImage fixedImage, double[] center, int seed, double spacing = 9)
    {
        var d = fixedImage.Dimension;
        var model = new BSplineModel(d, d == 2 ? [0.7, -0.4] : [0.7, -0.4, 0.3], BSplineTransform.ForImage(fixedImage, spacing), center);
        var random = new Random(seed);
        var coefficients = model.Parameters[0];
        var values = Enumerable.Range(0, (int)coefficients.numel()).Select(_ => (float)((random.NextDouble() * 6) - 3)).ToArray();
        using (no_grad())
        {
            using var t = tensor(values, coefficients.shape);
            coefficients.copy_(t);
        }

        return model;
    }

    /// <summary>The level's grid in centred physical coordinates, as the engine computes them.</summary>
    private static Tensor Physical(RegistrationLevel level)
    {
        var d = level.Dimension;
        using var a = tensor(level.FixedIndexToCentred.Select(v => (float)v).ToArray(), [d, d]);
        using var o = tensor(level.FixedOriginCentred.Select(v => (float)v).ToArray(), [d]);
        return level.AllIndices().matmul(a.t()).add(o, One);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.detach().contiguous().data<float>().ToArray();
        var a = actual.detach().contiguous().data<float>().ToArray();
        var worst = 0.0;
        var scale = Math.Max(1, e.Max(v => Math.Abs(v)));
        for (var i = 0; i < e.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(e[i] - a[i]));
        }

        Assert.True(worst <= tolerance * scale, $"{what}: largest difference {worst:G3} (tolerance {tolerance * scale:G3})");
    }
}
