using DeepSim.Imaging;

namespace DeepSim.Registration;

/// <summary>
/// A cubic B-spline free-form deformation, ITK's BSplineTransform (order 3): T(x) = x + sum_k c_k B(u(x) - k), with a
/// regular control-point grid of <see cref="GridSize"/> points, origin, spacing (mm) and direction, and
/// u(x) = Direction^-1 (x - GridOrigin) / GridSpacing the continuous grid index. Parameters: every control point's x
/// displacement (x index fastest), then every y displacement (then z), as ITK; fixed parameters: grid size, grid origin,
/// grid spacing, grid direction (row-major). As in ITK, a point whose 4^D support leaves the grid is not moved.
/// </summary>
public sealed class BSplineTransform : IParametricTransform
{
    private readonly int[] _size;
    private readonly double[] _origin;
    private readonly double[] _spacing;
    private readonly double[] _direction;
    private readonly double[] _inverseDirection;
    private readonly double[] _coefficients;

    /// <summary>Creates the transform from its grid and coefficients (D blocks of prod(size) values, ITK's order).</summary>
    public BSplineTransform(IReadOnlyList<int> gridSize, IReadOnlyList<double> gridOrigin, IReadOnlyList<double> gridSpacing, IReadOnlyList<double> gridDirection, IReadOnlyList<double>? coefficients = null)
    {
        ArgumentNullException.ThrowIfNull(gridSize);
        var d = gridSize.Count;
        TransformChecks.Dimension(d, nameof(gridSize));
        TransformChecks.Length(gridOrigin, d, nameof(gridOrigin));
        TransformChecks.Length(gridSpacing, d, nameof(gridSpacing));
        TransformChecks.Length(gridDirection, d * d, nameof(gridDirection));
        if (gridSize.Any(s => s < 4))
        {
            throw new ArgumentException("A cubic B-spline grid needs at least 4 control points along every axis.", nameof(gridSize));
        }

        if (gridSpacing.Any(s => s <= 0))
        {
            throw new ArgumentException("The grid spacing must be positive.", nameof(gridSpacing));
        }

        _size = [.. gridSize];
        _origin = [.. gridOrigin];
        _spacing = [.. gridSpacing];
        _direction = [.. gridDirection];
        _inverseDirection = MatrixMath.Invert(_direction, d);
        var count = d * _size.Aggregate(1, (a, b) => a * b);
        if (coefficients is null)
        {
            _coefficients = new double[count];
        }
        else
        {
            TransformChecks.Length(coefficients, count, nameof(coefficients));
            _coefficients = [.. coefficients];
        }
    }

    /// <inheritdoc />
    public int Dimension => _size.Length;

    /// <inheritdoc />
    public string ItkClassName => $"BSplineTransform_double_{Dimension}_{Dimension}";

    /// <summary>Control points along each axis.</summary>
    public int[] GridSize => [.. _size];

    /// <summary>Physical position of control point 0.</summary>
    public double[] GridOrigin => [.. _origin];

    /// <summary>Control-point spacing in mm.</summary>
    public double[] GridSpacing => [.. _spacing];

    /// <summary>Grid direction cosines, row-major D x D.</summary>
    public double[] GridDirection => [.. _direction];

    /// <summary>Number of control points.</summary>
    public int ControlPointCount => _size.Aggregate(1, (a, b) => a * b);

    /// <inheritdoc />
    public double[] Parameters => [.. _coefficients];

    /// <inheritdoc />
    public double[] FixedParameters => [.. _size.Select(s => (double)s), .. _origin, .. _spacing, .. _direction];

    /// <summary>
    /// A zero (identity) transform whose grid covers <paramref name="image"/>'s field of view with control points
    /// <paramref name="spacingMm"/> apart (the same along every axis), centred on the image, one extra point beyond
    /// each side, as the cubic support needs; the grid takes the image's direction.
    /// </summary>
    public static BSplineTransform ForImage(MedicalImage image, double spacingMm)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(spacingMm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(spacingMm), spacingMm, "The control-point spacing must be positive.");
        }

        var d = image.Dimension;
        var size = new int[d];
        var origin = new double[d];
        var spacing = new double[d];
        var dir = new double[d * d];
        var g = image.Geometry;
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                dir[(i * d) + j] = g.Direction[(i * 3) + j];
            }
        }

        var firstInGrid = new double[d];
        for (var axis = 0; axis < d; axis++)
        {
            var extent = (image.Size[axis] - 1) * g.Spacing[axis];
            var mesh = (int)Math.Floor(extent / spacingMm) + 1;
            size[axis] = mesh + 3;
            spacing[axis] = spacingMm;
            // Offset along the axis (image index frame) so the grid is centred on the field of view.
            firstInGrid[axis] = -spacingMm - (((mesh * spacingMm) - extent) / 2);
        }

        for (var i = 0; i < d; i++)
        {
            var s = g.Origin[i];
            for (var j = 0; j < d; j++)
            {
                s += dir[(i * d) + j] * firstInGrid[j];
            }

            origin[i] = s;
        }

        return new BSplineTransform(size, origin, spacing, dir);
    }

    /// <summary>
    /// The same deformation on a grid twice as fine (half the spacing), by exact cubic B-spline subdivision along every
    /// axis: fine point 2i sits on coarse point i with (c[i-1] + 6 c[i] + c[i+1]) / 8, fine point 2i+1 midway with
    /// (c[i] + c[i+1]) / 2. The two outermost fine points per axis, which move no point of this grid's domain, are
    /// dropped, so the refined grid has 2n - 3 points per axis and moves every point of this grid's domain exactly as
    /// this transform does (elastix's grid upsampling between resolutions).
    /// </summary>
    public BSplineTransform Refine()
    {
        var d = Dimension;
        var n = ControlPointCount;
        var fineSize = _size.Select(s => (2 * s) - 3).ToArray();
        var fineSpacing = _spacing.Select(s => s / 2).ToArray();
        var fineOrigin = new double[d];
        for (var i = 0; i < d; i++)
        {
            // Fine index 0 is the former fine index 1: half a coarse step along each grid axis.
            var s = _origin[i];
            for (var j = 0; j < d; j++)
            {
                s += _direction[(i * d) + j] * fineSpacing[j];
            }

            fineOrigin[i] = s;
        }

        var fineCount = fineSize.Aggregate(1, (a, b) => a * b);
        var coefficients = new double[d * fineCount];
        for (var c = 0; c < d; c++)
        {
            var block = new double[n];
            Array.Copy(_coefficients, c * n, block, 0, n);
            var size = (int[])_size.Clone();
            for (var axis = 0; axis < d; axis++)
            {
                block = SubdivideAxis(block, size, axis);
                size[axis] = fineSize[axis];
            }

            Array.Copy(block, 0, coefficients, c * fineCount, fineCount);
        }

        return new BSplineTransform(fineSize, fineOrigin, fineSpacing, _direction, coefficients);
    }

    /// <summary>Subdivides the coefficient block (x fastest) along one axis: n points become 2n - 3 (fine points 1 .. 2n - 3).</summary>
    private static double[] SubdivideAxis(double[] block, int[] size, int axis)
    {
        var n = size[axis];
        var m = (2 * n) - 3;
        var stride = 1;
        for (var a = 0; a < axis; a++)
        {
            stride *= size[a];
        }

        var outer = block.Length / (stride * n);
        var result = new double[outer * stride * m];
        for (var o = 0; o < outer; o++)
        {
            for (var s = 0; s < stride; s++)
            {
                double At(int i) => block[s + (stride * (i + (n * o)))];
                for (var k = 1; k <= (2 * n) - 3; k++)
                {
                    var i = k / 2;
                    var value = k % 2 == 0 ? (At(i - 1) + (6 * At(i)) + At(i + 1)) / 8 : (At(i) + At(i + 1)) / 2;
                    result[s + (stride * ((k - 1) + (m * o)))] = value;
                }
            }
        }

        return result;
    }

    /// <summary>The same grid with new coefficients.</summary>
    public BSplineTransform WithCoefficients(IReadOnlyList<double> coefficients) => new(_size, _origin, _spacing, _direction, coefficients);

    /// <summary>The continuous grid index of a physical point.</summary>
    public double[] ContinuousIndex(double[] point)
    {
        var d = Dimension;
        var u = new double[d];
        for (var i = 0; i < d; i++)
        {
            var s = 0.0;
            for (var j = 0; j < d; j++)
            {
                s += _inverseDirection[(i * d) + j] * (point[j] - _origin[j]);
            }

            u[i] = s / _spacing[i];
        }

        return u;
    }

    /// <inheritdoc />
    public double[] TransformPoint(double[] point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var d = Dimension;
        if (point.Length != d)
        {
            throw new ArgumentException($"A {d}D transform maps points of {d} coordinates, got {point.Length}.", nameof(point));
        }

        var y = (double[])point.Clone();
        if (!Support(point, out var start, out var w, out _))
        {
            return y;
        }

        var n = ControlPointCount;
        ForEachSupport(start, w, null, (flat, weight, _) =>
        {
            for (var c = 0; c < d; c++)
            {
                y[c] += weight * _coefficients[(c * n) + flat];
            }
        });
        return y;
    }

    /// <summary>
    /// The determinant of the spatial Jacobian dT/dx at <paramref name="point"/>: 1 for no deformation, &lt;= 0 where
    /// the deformation folds space.
    /// </summary>
    public double JacobianDeterminant(double[] point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var d = Dimension;
        var jac = MatrixMath.Identity(d);
        if (!Support(point, out var start, out var w, out var dw))
        {
            return 1;
        }

        var n = ControlPointCount;
        // du/dx = diag(1/spacing) Direction^-1.
        var dudx = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                dudx[(i * d) + j] = _inverseDirection[(i * d) + j] / _spacing[i];
            }
        }

        ForEachSupport(start, w, dw, (flat, _, grad) =>
        {
            for (var c = 0; c < d; c++)
            {
                var coef = _coefficients[(c * n) + flat];
                for (var j = 0; j < d; j++)
                {
                    var s = 0.0;
                    for (var a = 0; a < d; a++)
                    {
                        s += grad![a] * dudx[(a * d) + j];
                    }

                    jac[(c * d) + j] += coef * s;
                }
            }
        });
        return MatrixMath.Determinant(jac, d);
    }

    /// <summary>The cubic B-spline kernel.</summary>
    public static double Cubic(double t)
    {
        var a = Math.Abs(t);
        if (a < 1)
        {
            return (4 - (6 * a * a) + (3 * a * a * a)) / 6;
        }

        return a < 2 ? (2 - a) * (2 - a) * (2 - a) / 6 : 0;
    }

    /// <summary>The derivative of the cubic B-spline kernel.</summary>
    public static double CubicDerivative(double t)
    {
        var a = Math.Abs(t);
        var sign = Math.Sign(t);
        if (a < 1)
        {
            return sign * ((-12 * a) + (9 * a * a)) / 6;
        }

        return a < 2 ? -sign * (2 - a) * (2 - a) / 2 : 0;
    }

    private bool Support(double[] point, out int[] start, out double[][] w, out double[][] dw)
    {
        var d = Dimension;
        var u = ContinuousIndex(point);
        start = new int[d];
        w = new double[d][];
        dw = new double[d][];
        for (var i = 0; i < d; i++)
        {
            if (!(u[i] >= 1 && u[i] < _size[i] - 2))
            {
                return false;
            }

            start[i] = (int)Math.Floor(u[i] - 1);
            w[i] = new double[4];
            dw[i] = new double[4];
            for (var k = 0; k < 4; k++)
            {
                var t = u[i] - (start[i] + k);
                w[i][k] = Cubic(t);
                dw[i][k] = CubicDerivative(t);
            }
        }

        return true;
    }

    private void ForEachSupport(int[] start, double[][] w, double[][]? dw, Action<int, double, double[]?> visit)
    {
        var d = Dimension;
        var kzMax = d == 3 ? 4 : 1;
        var grad = dw is null ? null : new double[d];
        for (var kz = 0; kz < kzMax; kz++)
        {
            for (var ky = 0; ky < 4; ky++)
            {
                for (var kx = 0; kx < 4; kx++)
                {
                    var flat = start[0] + kx + (_size[0] * (start[1] + ky));
                    var weight = w[0][kx] * w[1][ky];
                    if (d == 3)
                    {
                        flat += _size[0] * _size[1] * (start[2] + kz);
                        weight *= w[2][kz];
                    }

                    if (dw is not null)
                    {
                        grad![0] = dw[0][kx] * w[1][ky] * (d == 3 ? w[2][kz] : 1);
                        grad[1] = w[0][kx] * dw[1][ky] * (d == 3 ? w[2][kz] : 1);
                        if (d == 3)
                        {
                            grad[2] = w[0][kx] * w[1][ky] * dw[2][kz];
                        }
                    }

                    visit(flat, weight, grad);
                }
            }
        }
    }
}
