using DeepSim.Imaging;
using DeepSim.Registration;
using Xunit;

namespace DeepSim.Tests.Registration;

/// <summary>Test-only transforms: the concrete registration transforms live elsewhere; the resampler needs only the contract.</summary>
internal sealed class IdentityTransform(int dimension) : IImageTransform
{
    public int Dimension { get; } = dimension;

    public double[] TransformPoint(double[] point) => [.. point];
}

internal sealed class TestShift(params double[] offset) : IImageTransform
{
    public int Dimension => offset.Length;

    public double[] TransformPoint(double[] point) => [.. point.Select((p, i) => p + offset[i])];
}

/// <summary>x' = A x + t with A row-major (dim x dim).</summary>
internal sealed class MatrixTransform(double[] matrix, double[] offset) : IImageTransform
{
    public int Dimension => offset.Length;

    public double[] TransformPoint(double[] point)
    {
        var n = offset.Length;
        var r = new double[n];
        for (var i = 0; i < n; i++)
        {
            r[i] = offset[i];
            for (var j = 0; j < n; j++)
            {
                r[i] += matrix[(i * n) + j] * point[j];
            }
        }

        return r;
    }
}

internal sealed class ThrowingTransform : IImageTransform
{
    public int Dimension => 2;

    public double[] TransformPoint(double[] point) => throw new NotSupportedException("no such point");
}

public class ImageResamplerTests
{
    private static MedicalImage Random2D(int sx, int sy, ImageGeometry? g = null, int seed = 1)
    {
        var rng = new Random(seed);
        var v = new float[sx * sy];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(rng.NextDouble() * 1000);
        }

        return new MedicalImage(v, sx, sy, 1, g, "MR");
    }

    private static MedicalImage Random3D(int sx, int sy, int sz, ImageGeometry? g = null, int seed = 2)
    {
        var rng = new Random(seed);
        var v = new float[sx * sy * sz];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(rng.NextDouble() * 1000);
        }

        return new MedicalImage(v, sx, sy, sz, g, "CT");
    }

    /// <summary>Oblique, anisotropic, with an origin far from zero: the identity must still reproduce every voxel.</summary>
    private static ImageGeometry Oblique()
    {
        var a = 30 * Math.PI / 180;
        return new ImageGeometry([0.7, 1.3, 2.1], [-101.5, 37.25, 12.0], [Math.Cos(a), -Math.Sin(a), 0, Math.Sin(a), Math.Cos(a), 0, 0, 0, -1]);
    }

    [Theory]
    [InlineData(ResampleInterpolation.Linear)]
    [InlineData(ResampleInterpolation.NearestNeighbor)]
    public void IdentityReproducesTheImageExactly(ResampleInterpolation interpolation)
    {
        var image = Random2D(23, 17, Oblique());
        image = new MedicalImage(image.GetVoxels().Select((v, i) => i % 5 == 0 ? 0f : v).ToArray(), 23, 17, 1, image.Geometry, "MR");
        var result = ImageResampler.Resample(image, new IdentityTransform(2), image, new ResampleOptions { Interpolation = interpolation, DefaultValue = -1 });
        Assert.True(image.VoxelSpan.SequenceEqual(result.VoxelSpan));
        Assert.Equal(image.Geometry, result.Geometry);
        Assert.Equal("MR", result.Modality);

        var volume = Random3D(9, 8, 7, Oblique());
        var back = ImageResampler.Resample(volume, new IdentityTransform(3), volume, new ResampleOptions { Interpolation = interpolation });
        Assert.True(volume.VoxelSpan.SequenceEqual(back.VoxelSpan));
    }

    [Fact]
    public void IntegerTranslationEqualsAShiftedCopy()
    {
        // Spacing (0.5, 2): a physical shift of (1.5, -4) mm is (+3, -2) voxels. Output (x, y) reads input (x + 3, y - 2).
        var g = new ImageGeometry([0.5, 2, 1], [4, -6, 0], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
        var image = Random2D(20, 15, g);
        var result = ImageResampler.Resample(image, new TestShift(1.5, -4), image, new ResampleOptions { DefaultValue = -7 });
        for (var y = 0; y < 15; y++)
        {
            for (var x = 0; x < 20; x++)
            {
                var (sx, sy) = (x + 3, y - 2);
                var expected = sx < 20 && sy >= 0 ? image[sx, sy] : -7f;
                Assert.Equal(expected, result[x, y]);
            }
        }
    }

    [Fact]
    public void TranslationFollowsTheDirectionCosines()
    {
        // Direction: index x runs along physical -y, index y along physical +x. A physical shift of +2 mm in y is -2 voxels in x.
        var g = new ImageGeometry([1, 1, 1], [0, 0, 0], [0, 1, 0, -1, 0, 0, 0, 0, 1]);
        var image = Random2D(10, 10, g);
        var result = ImageResampler.Resample(image, new TestShift(0, 2), image, new ResampleOptions { Interpolation = ResampleInterpolation.NearestNeighbor });
        for (var y = 0; y < 10; y++)
        {
            for (var x = 0; x < 10; x++)
            {
                Assert.Equal(x - 2 >= 0 ? image[x - 2, y] : 0f, result[x, y]);
            }
        }
    }

    [Fact]
    public void LinearInterpolationMatchesAHandComputation()
    {
        // 3x2 image; the transform moves every point by (0.25, 0.5) voxels (unit spacing).
        var image = new MedicalImage([10, 20, 40, 30, 60, 100], 3, 2, 1);
        var result = ImageResampler.Resample(image, new TestShift(0.25, 0.5), image);
        // Output (0,0) reads (0.25, 0.5): rows y=0 and y=1 mixed half and half; x between 0 and 1 at 0.25.
        var top = (0.75 * 10) + (0.25 * 20);
        var bottom = (0.75 * 30) + (0.25 * 60);
        Assert.Equal((float)((0.5 * top) + (0.5 * bottom)), result[0, 0]);
        // Output (1,0) reads (1.25, 0.5).
        top = (0.75 * 20) + (0.25 * 40);
        bottom = (0.75 * 60) + (0.25 * 100);
        Assert.Equal((float)((0.5 * top) + (0.5 * bottom)), result[1, 0]);
        // Output (2,0) reads (2.25, 0.5): inside (< 2.5), the missing right neighbour is clamped to x = 2.
        Assert.Equal((float)((0.5 * 40) + (0.5 * 100)), result[2, 0]);
        // Output (0,1) reads (0.25, 1.5): outside (y must be < 1.5), so the default value.
        Assert.Equal(0f, result[0, 1]);
    }

    [Fact]
    public void TrilinearInterpolationMatchesAHandComputation()
    {
        // 2x2x2 cube with values v(x,y,z) = 1 + x + 2y + 4z: linear, so trilinear interpolation must reproduce it exactly.
        var v = new float[8];
        for (var i = 0; i < 8; i++)
        {
            v[i] = 1 + (i & 1) + (2 * ((i >> 1) & 1)) + (4 * ((i >> 2) & 1));
        }

        var cube = new MedicalImage(v, 2, 2, 2);
        var reference = new MedicalImage(new float[2], 1, 1, 2, new ImageGeometry([1, 1, 0.5], [0.3, 0.6, 0.2], [1, 0, 0, 0, 1, 0, 0, 0, 1]));
        var result = ImageResampler.Resample(cube, new IdentityTransform(3), reference);
        Assert.Equal(reference.Size, result.Size);
        Assert.Equal(1 + 0.3 + 1.2 + 0.8, result[0, 0, 0], 5);
        Assert.Equal(1 + 0.3 + 1.2 + 2.8, result[0, 0, 1], 5);
    }

    [Fact]
    public void NearestNeighbourKeepsLabelValuesAndRoundsHalvesUp()
    {
        var labels = new MedicalImage([1, 2, 3, 4], 4, 1, 1);
        var reference = new MedicalImage(new float[1], 1, 1, 1);
        float At(double x) => ImageResampler.Resample(labels, new TestShift(x, 0), reference, new ResampleOptions { Interpolation = ResampleInterpolation.NearestNeighbor, DefaultValue = -1 })[0, 0];
        Assert.Equal(1f, At(0.49));
        Assert.Equal(2f, At(0.5));
        Assert.Equal(3f, At(1.7));
        Assert.Equal(4f, At(3.4));
        Assert.Equal(-1f, At(3.5));
        Assert.Equal(1f, At(-0.5));
        Assert.Equal(-1f, At(-0.51));
    }

    [Fact]
    public void PointsOutsideTheGridGetTheDefaultValue()
    {
        var image = Random2D(8, 8);
        var far = ImageResampler.Resample(image, new TestShift(1000, 0), image, new ResampleOptions { DefaultValue = 42 });
        Assert.All(far.GetVoxels(), v => Assert.Equal(42f, v));
        var nan = ImageResampler.Resample(image, new TestShift(double.NaN, 0), image, new ResampleOptions { DefaultValue = 5 });
        Assert.All(nan.GetVoxels(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void ThreeDimensionalRotationAndGridChangeMatchAPointwiseReference()
    {
        // The moving volume on an oblique grid, the reference on a different axis-aligned grid, and a rotation about z.
        // The reference is centred on the moving volume's centre c; the transform rotates by 7 degrees about c and shifts.
        var moving = Random3D(12, 11, 10, Oblique());
        var c = moving.Geometry.IndexToPhysical(5.5, 5, 4.5);
        var reference = new MedicalImage(new float[9 * 8 * 6], 9, 8, 6, new ImageGeometry([1.5, 1.1, 2.0], [c[0] - 6, c[1] - 3.85, c[2] - 5], [1, 0, 0, 0, 1, 0, 0, 0, 1]));
        var a = 7 * Math.PI / 180;
        double[] r = [Math.Cos(a), -Math.Sin(a), 0, Math.Sin(a), Math.Cos(a), 0, 0, 0, 1];
        double[] t = [1.0, -2.0, 0.5];
        var offset = new double[3];
        for (var i = 0; i < 3; i++)
        {
            offset[i] = c[i] + t[i] - ((r[3 * i] * c[0]) + (r[(3 * i) + 1] * c[1]) + (r[(3 * i) + 2] * c[2]));
        }

        var transform = new MatrixTransform(r, offset);
        var serial = ImageResampler.Resample(moving, transform, reference, new ResampleOptions { MaxDegreeOfParallelism = 1 });
        var parallel = ImageResampler.Resample(moving, transform, reference, new ResampleOptions { MaxDegreeOfParallelism = 4 });
        Assert.True(serial.VoxelSpan.SequenceEqual(parallel.VoxelSpan), "the result must not depend on the number of threads");
        Assert.Equal(reference.Geometry, serial.Geometry);

        // Pointwise reference: solve for the moving index by Cramer's rule on the moving geometry, trilinear by hand.
        var g = moving.Geometry;
        var inside = 0;
        for (var z = 0; z < 6; z++)
        {
            for (var y = 0; y < 8; y++)
            {
                for (var x = 0; x < 9; x++)
                {
                    var p = transform.TransformPoint(reference.Geometry.IndexToPhysical(x, y, z));
                    var idx = Solve(g, p);
                    var expected = 0.0;
                    if (idx.All(c => c >= -0.5) && idx[0] < 11.5 && idx[1] < 10.5 && idx[2] < 9.5)
                    {
                        inside++;
                        expected = Trilinear(moving, idx);
                    }

                    Assert.True(Math.Abs(expected - serial[x, y, z]) <= 1e-3, $"({x}, {y}, {z}): expected {expected}, got {serial[x, y, z]}");
                }
            }
        }

        Assert.InRange(inside, 20, (9 * 8 * 6) - 20);
    }

    private static double[] Solve(ImageGeometry g, double[] p)
    {
        var m = new double[3, 3];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                m[r, c] = g.Direction[(3 * r) + c] * g.Spacing[c];
            }
        }

        double Det(double[,] a) =>
            (a[0, 0] * ((a[1, 1] * a[2, 2]) - (a[1, 2] * a[2, 1]))) - (a[0, 1] * ((a[1, 0] * a[2, 2]) - (a[1, 2] * a[2, 0]))) + (a[0, 2] * ((a[1, 0] * a[2, 1]) - (a[1, 1] * a[2, 0])));
        var d = Det(m);
        var b = new[] { p[0] - g.Origin[0], p[1] - g.Origin[1], p[2] - g.Origin[2] };
        var result = new double[3];
        for (var c = 0; c < 3; c++)
        {
            var mc = (double[,])m.Clone();
            for (var r = 0; r < 3; r++)
            {
                mc[r, c] = b[r];
            }

            result[c] = Det(mc) / d;
        }

        return result;
    }

    private static double Trilinear(MedicalImage im, double[] c)
    {
        var f = c.Select(Math.Floor).ToArray();
        var sum = 0.0;
        for (var corner = 0; corner < 8; corner++)
        {
            var w = 1.0;
            var idx = new int[3];
            for (var a = 0; a < 3; a++)
            {
                var up = ((corner >> a) & 1) == 1;
                var t = c[a] - f[a];
                w *= up ? t : 1 - t;
                idx[a] = Math.Clamp((int)f[a] + (up ? 1 : 0), 0, im.Size[a] - 1);
            }

            sum += w * im[idx[0], idx[1], idx[2]];
        }

        return sum;
    }

    [Fact]
    public void BadInputIsRejectedWithAClearMessage()
    {
        var image2 = Random2D(5, 5);
        var image3 = Random3D(5, 5, 5);
        var e = Assert.Throws<ArgumentException>(() => ImageResampler.Resample(image3, new IdentityTransform(2), image2));
        Assert.Contains("2D transform needs 2D images", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ImageResampler.Resample(image2, new IdentityTransform(3), image2));
        var failed = Assert.Throws<InvalidOperationException>(() => ImageResampler.Resample(image2, new ThrowingTransform(), image2));
        Assert.Contains("no such point", failed.Message, StringComparison.Ordinal);
        var singular = new MedicalImage(new float[4], 2, 2, 1, new ImageGeometry([1, 1, 1], [0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0, 1]));
        Assert.Throws<ArgumentException>(() => ImageResampler.Resample(singular, new IdentityTransform(2), image2));
        Assert.ThrowsAny<OperationCanceledException>(() => ImageResampler.Resample(image2, new IdentityTransform(2), image2, cancellationToken: new CancellationToken(canceled: true)));
    }
}
