using DeepSim.Imaging;
using DeepSim.Registration;
using Xunit;

namespace DeepSim.Tests.Registration;

public class TransformTests
{
    private static void Near(double[] expected, double[] actual, double tolerance = 1e-9)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"component {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void Euler2DRotatesCounterClockwiseAboutItsCentreThenTranslates()
    {
        // ITK: T(x) = R (x - c) + c + t, R = [cos -sin; sin cos].
        var t = new Euler2DTransform(Math.PI / 2, [1, 2], [10, 20]);
        Near([10 - 0 + 1, 20 + 1 + 2], t.TransformPoint([11, 20]));
        Assert.Equal([Math.PI / 2, 1, 2], t.Parameters);
        Assert.Equal([10.0, 20.0], t.FixedParameters);
    }

    [Fact]
    public void Euler3DUsesItksZxyOrder()
    {
        // ITK Euler3DTransform (ComputeZYX off): R = Rz Rx Ry. Check against the explicit product on a point.
        double ax = 0.3, ay = -0.2, az = 0.5;
        var t = new Euler3DTransform([ax, ay, az], [0, 0, 0]);
        var p = new[] { 1.0, 2.0, 3.0 };
        double[] Ry(double[] v) => [(Math.Cos(ay) * v[0]) + (Math.Sin(ay) * v[2]), v[1], (-Math.Sin(ay) * v[0]) + (Math.Cos(ay) * v[2])];
        double[] Rx(double[] v) => [v[0], (Math.Cos(ax) * v[1]) - (Math.Sin(ax) * v[2]), (Math.Sin(ax) * v[1]) + (Math.Cos(ax) * v[2])];
        double[] Rz(double[] v) => [(Math.Cos(az) * v[0]) - (Math.Sin(az) * v[1]), (Math.Sin(az) * v[0]) + (Math.Cos(az) * v[1]), v[2]];
        Near(Rz(Rx(Ry(p))), t.TransformPoint(p), 1e-12);
        Assert.Equal(4, t.FixedParameters.Length);
        var zyx = new Euler3DTransform([ax, ay, az], [0, 0, 0], null, computeZyx: true);
        Near(Rz(Ry(Rx(p))), zyx.TransformPoint(p), 1e-12);
    }

    public static TheoryData<string> LinearKinds => new() { "translation", "euler2d", "euler3d", "affine2d", "affine3d" };

    private static LinearTransform Make(string kind) => kind switch
    {
        "translation" => new TranslationTransform([3, -4, 5]),
        "euler2d" => new Euler2DTransform(0.4, [3, -7], [50, 60]),
        "euler3d" => new Euler3DTransform([0.1, -0.25, 0.3], [4, 5, -6], [10, 20, 30]),
        "affine2d" => new AffineTransform([1.1, 0.2, -0.1, 0.9], [2, 3], [40, 30]),
        _ => new AffineTransform([1.05, 0.1, 0, -0.05, 0.95, 0.2, 0.02, 0, 1.1], [1, -2, 3], [5, 6, 7]),
    };

    [Theory]
    [MemberData(nameof(LinearKinds))]
    public void InverseUndoesTheTransformAndKeepsItsKind(string kind)
    {
        var t = Make(kind);
        var inv = t.GetInverse();
        var rng = new Random(1);
        for (var k = 0; k < 20; k++)
        {
            var p = Enumerable.Range(0, t.Dimension).Select(_ => (rng.NextDouble() * 200) - 100).ToArray();
            Near(p, inv.TransformPoint(t.TransformPoint(p)), 1e-9);
            Near(p, t.TransformPoint(inv.TransformPoint(p)), 1e-9);
        }

        if (t is Euler2DTransform or Euler3DTransform or TranslationTransform)
        {
            Assert.IsType(t.GetType(), inv);
        }
    }

    [Theory]
    [MemberData(nameof(LinearKinds))]
    public void CompositionEqualsApplyingOneAfterTheOther(string kind)
    {
        var first = Make(kind);
        var d = first.Dimension;
        LinearTransform second = d == 2 ? new Euler2DTransform(-0.3, [5, 1], [0, 10]) : new Euler3DTransform([0.2, 0.1, -0.1], [1, 2, 3], [3, 2, 1]);
        var composed = first.ComposeWith(second);
        var chain = new CompositeTransform([second, first]); // ITK order: the last is applied first
        var p = Enumerable.Range(0, d).Select(i => 7.0 * (i + 1)).ToArray();
        Near(second.TransformPoint(first.TransformPoint(p)), composed.TransformPoint(p), 1e-9);
        Near(composed.TransformPoint(p), chain.TransformPoint(p), 1e-9);
    }

    [Theory]
    [MemberData(nameof(LinearKinds))]
    public void TfmFileRoundTripIsExact(string kind)
    {
        var t = Make(kind);
        var text = TransformFile.Format(t);
        Assert.StartsWith("#Insight Transform File V1.0\n#Transform 0\nTransform: " + t.ItkClassName, text, StringComparison.Ordinal);
        var back = Assert.IsAssignableFrom<LinearTransform>(TransformFile.Parse(text));
        Assert.Equal(t.GetType(), back.GetType());
        Assert.Equal(t.Parameters, back.Parameters);
        Assert.Equal(t.FixedParameters, back.FixedParameters);
    }

    [Fact]
    public void ReadsAnItkWrittenEuler2DFileAndAComposite()
    {
        // As ITK 5 / SimpleITK write them (float variant, three fixed parameters for Euler3D from older ITK).
        var euler = TransformFile.Parse("#Insight Transform File V1.0\n#Transform 0\nTransform: Euler2DTransform_float_2_2\nParameters: 0.1745329 13 17\nFixedParameters: 110 128\n");
        var e = Assert.IsType<Euler2DTransform>(euler);
        Near([13 + 110, 17 + 128], e.TransformPoint([110, 128]), 1e-9);
        var e3 = TransformFile.Parse("#Insight Transform File V1.0\n#Transform 0\nTransform: Euler3DTransform_double_3_3\nParameters: 0 0 0 1 2 3\nFixedParameters: 0 0 0\n");
        Near([1, 2, 3], e3.TransformPoint([0, 0, 0]));
        var composite = new CompositeTransform([new TranslationTransform([1, 1]), new Euler2DTransform(0.2, [0, 0], [5, 5])]);
        var back = Assert.IsType<CompositeTransform>(TransformFile.Parse(TransformFile.Format(composite)));
        Near(composite.TransformPoint([3, 4]), back.TransformPoint([3, 4]), 1e-12);
    }

    [Theory]
    [InlineData("not a transform\n", "does not start")]
    [InlineData("#Insight Transform File V1.0\n#Transform 0\nTransform: VersorRigid3DTransform_double_3_3\nParameters: 0 0 0 0 0 0\nFixedParameters: 0 0 0\n", "does not read")]
    [InlineData("#Insight Transform File V1.0\n#Transform 0\nTransform: Euler2DTransform_double_2_2\nParameters: 0 1\nFixedParameters: 0 0\n", "needs 3 parameters")]
    [InlineData("#Insight Transform File V1.0\n#Transform 0\nTransform: Euler2DTransform_double_2_2\nParameters: 0 1 x\nFixedParameters: 0 0\n", "not a finite number")]
    public void BadFilesGiveSpecificErrors(string text, string expected)
    {
        var e = Assert.Throws<TransformFileException>(() => TransformFile.Parse(text, "t.tfm"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("t.tfm", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BSplineIsTheIdentityWithZeroCoefficientsAndMovesAControlPointByTwoThirdsSquared()
    {
        var image = new MedicalImage(new float[50 * 40], 50, 40, 1);
        var zero = BSplineTransform.ForImage(image, 10);
        Near([12.5, 33.25], zero.TransformPoint([12.5, 33.25]));
        var coefficients = zero.Parameters;
        var n = zero.ControlPointCount;
        // Control point (3, 2): displacement (4, -2) there; the cubic kernel's value at 0 is 2/3 per axis.
        var k = 3 + (zero.GridSize[0] * 2);
        coefficients[k] = 4;
        coefficients[n + k] = -2;
        var bent = zero.WithCoefficients(coefficients);
        var point = new[] { zero.GridOrigin[0] + (3 * 10.0), zero.GridOrigin[1] + (2 * 10.0) };
        var moved = bent.TransformPoint(point);
        Near([point[0] + (4 * 4.0 / 9), point[1] - (2 * 4.0 / 9)], moved, 1e-12);
        var back = Assert.IsType<BSplineTransform>(TransformFile.Parse(TransformFile.Format(bent)));
        Near(moved, back.TransformPoint(point), 1e-12);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void BSplineRefinementHalvesTheSpacingAndKeepsTheDeformationExactly(int dimension)
    {
        var image = dimension == 2 ? new MedicalImage(new float[70 * 50], 70, 50, 1, new ImageGeometry([1.5, 2, 1], [-10, 5, 0], [0.8, -0.6, 0, 0.6, 0.8, 0, 0, 0, 1]))
            : new MedicalImage(new float[20 * 24 * 18], 20, 24, 18);
        var coarse = BSplineTransform.ForImage(image, 20);
        var rng = new Random(5);
        var bent = coarse.WithCoefficients(coarse.Parameters.Select(_ => (rng.NextDouble() - 0.5) * 8).ToArray());
        var fine = bent.Refine();
        var finer = fine.Refine();
        Assert.Equal(coarse.GridSize.Select(n => (2 * n) - 3), fine.GridSize);
        Assert.Equal(coarse.GridSpacing.Select(h => h / 2), fine.GridSpacing);
        Assert.Equal(coarse.GridSpacing.Select(h => h / 4), finer.GridSpacing);
        var moved = 0.0;
        for (var k = 0; k < 200; k++)
        {
            // Random points of the image's field of view (continuous indices inside the grid).
            var index = Enumerable.Range(0, 3).Select(a => a < dimension ? rng.NextDouble() * (image.Size[a] - 1) : 0).ToArray();
            var p = image.Geometry.IndexToPhysical(index[0], index[1], index[2])[..dimension];
            var expected = bent.TransformPoint(p);
            moved = Math.Max(moved, expected.Zip(p, (a, b) => Math.Abs(a - b)).Max());
            Near(expected, fine.TransformPoint(p), 1e-9);
            Near(expected, finer.TransformPoint(p), 1e-9);
        }

        Assert.True(moved > 1, $"the test field moves points by at most {moved:F3} mm");

        // The Jacobian (the deformation's derivatives) is the same too.
        var q = image.Geometry.IndexToPhysical(image.SizeX / 3.0, image.SizeY / 2.0, dimension == 3 ? image.SizeZ / 2.0 : 0)[..dimension];
        Assert.Equal(bent.JacobianDeterminant(q), finer.JacobianDeterminant(q), 9);
    }

    [Fact]
    public void BSplineJacobianDeterminantMatchesFiniteDifferencesAndDetectsFolds()
    {
        var image = new MedicalImage(new float[60 * 60], 60, 60, 1);
        var grid = BSplineTransform.ForImage(image, 15);
        var rng = new Random(3);
        var c = grid.Parameters.Select(_ => (rng.NextDouble() - 0.5) * 6).ToArray();
        var t = grid.WithCoefficients(c);
        var p = new[] { 27.3, 31.9 };
        const double h = 1e-5;
        var dx = t.TransformPoint([p[0] + h, p[1]]).Zip(t.TransformPoint([p[0] - h, p[1]]), (a, b) => (a - b) / (2 * h)).ToArray();
        var dy = t.TransformPoint([p[0], p[1] + h]).Zip(t.TransformPoint([p[0], p[1] - h]), (a, b) => (a - b) / (2 * h)).ToArray();
        Assert.Equal((dx[0] * dy[1]) - (dy[0] * dx[1]), t.JacobianDeterminant(p), 6);
        // A linear field u_x = -2 x (reproduced exactly by cubic B-splines): dT_x/dx = 1 - 2 = -1, the map folds.
        var folding = grid.WithCoefficients(grid.Parameters.Select((_, i) => i < grid.ControlPointCount ? -2 * (grid.GridOrigin[0] + (grid.GridSpacing[0] * (i % grid.GridSize[0]))) : 0).ToArray());
        Assert.Equal(-1, folding.JacobianDeterminant([30.0, 30.0]), 9);
    }

    [SkippableFact]
    public void EulerTransformAgreesWithItksDirectionCosinesOnTheDirectionPlus30Example()
    {
        // ITK's example: the same T1 pixels stored with a direction rotated by +30 degrees. The physical point of index
        // i in that image is R(+30) i, so the Euler2D transform of angle +30 about the origin maps every physical point
        // of the unrotated image onto the same pixel of the rotated one (ITK's convention: fixed point -> moving point).
        var data = TestData.Require("mr-t1-pd-slice");
        var loader = ImageLoader.CreateDefault();
        MedicalImage Load(string name)
        {
            var path = Path.Combine(data, name);
            return ImageLoader.ReadFile(loader.SelectReader(path), path)[0].Image!;
        }

        var plain = Load("BrainT1SliceBorder20.png");
        // The shared header names a compressed .zraw, but the file beside it is the uncompressed .raw (221 x 257 bytes):
        // read it through a corrected copy of the header in a temporary folder.
        var temp = Directory.CreateTempSubdirectory("deepsim-direction-");
        MedicalImage rotated;
        try
        {
            var header = File.ReadAllLines(Path.Combine(data, "BrainT1SliceBorder20DirectionPlus30.mhd"))
                .Where(l => !l.StartsWith("CompressedDataSize", StringComparison.Ordinal))
                .Select(l => l.StartsWith("CompressedData", StringComparison.Ordinal) ? "CompressedData = False" : l)
                .Select(l => l.StartsWith("ElementDataFile", StringComparison.Ordinal) ? "ElementDataFile = image.raw" : l);
            File.WriteAllLines(Path.Combine(temp.FullName, "image.mhd"), header);
            File.Copy(Path.Combine(data, "BrainT1SliceBorder20DirectionPlus30.raw"), Path.Combine(temp.FullName, "image.raw"));
            var headerPath = Path.Combine(temp.FullName, "image.mhd");
            rotated = ImageLoader.ReadFile(loader.SelectReader(headerPath), headerPath)[0].Image!;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
        Assert.Equal(plain.Size, rotated.Size);
        var t = new Euler2DTransform(Math.PI / 6, [0, 0], [0, 0]);
        var dir = rotated.Direction;
        var rng = new Random(5);
        for (var k = 0; k < 200; k++)
        {
            int x = rng.Next(plain.SizeX), y = rng.Next(plain.SizeY);
            var q = t.TransformPoint(plain.Geometry.IndexToPhysical(x, y, 0)[..2]);
            // Moving index = Direction^T (q - origin) / spacing (orthonormal direction).
            var ix = ((dir[0] * q[0]) + (dir[3] * q[1])) / rotated.Spacing[0];
            var iy = ((dir[1] * q[0]) + (dir[4] * q[1])) / rotated.Spacing[1];
            // The file stores the cosines to 7 digits (0.8660254), hence 1e-4 px.
            Assert.InRange(Math.Abs(ix - x), 0, 1e-4);
            Assert.InRange(Math.Abs(iy - y), 0, 1e-4);
            Assert.Equal(plain[x, y], rotated[x, y]);
        }

        // And a registration of the two (field-of-view centres aligned first) recovers +30 degrees.
        var result = ImageRegistration.Register(plain, rotated, RegistrationMetrics.Create("MSE"), new RegistrationOptions { Seed = 1 });
        var e = Assert.IsType<Euler2DTransform>(result.Transform);
        Assert.InRange(e.AngleDegrees, 29.5, 30.5);
    }
}
