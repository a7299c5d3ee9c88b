using System.Runtime.InteropServices;
using TorchSharp;
using static DeepSim.Runtime.HeldScalars;
using static TorchSharp.torch;

namespace DeepSim.Registration;

/// <summary>
/// The optimisable form of a transform inside the engine: parameter tensors (with gradients) and the warp of centred
/// physical points (physical minus the fixed image's centre) into the moving image's centred frame.
/// Rotation and matrix parameters are scaled by a radius (mm), so that one unit of every parameter moves points by
/// about one millimetre and a single step size suits them all (ITK's parameter scales).
/// </summary>
internal abstract class TransformModel
{
    protected TransformModel(int dimension, double[] initialTranslation)
    {
        Dimension = dimension;
        Translation = NewParameter(initialTranslation.Select(v => (float)v).ToArray(), dimension);
    }

    public int Dimension { get; }

    public Tensor Translation { get; }

    public abstract IReadOnlyList<Tensor> Parameters { get; }

    public abstract Tensor Warp(Tensor points);

    /// <summary>
    /// <see cref="Warp"/> of every voxel of <paramref name="level"/>'s fixed grid (<paramref name="gridPoints"/>: their
    /// centred physical points, in storage order) when the model has a faster way than point by point; null otherwise
    /// (the caller then calls <see cref="Warp"/>). The result must equal <see cref="Warp"/>'s up to rounding.
    /// </summary>
    public virtual Tensor? WarpFullGrid(RegistrationLevel level, Tensor gridPoints) => null;

    public virtual Tensor? Penalty() => null;

    /// <summary>2D: sets the rotation part to a rotation by <paramref name="radians"/> (rigid and affine); false where the model has none.</summary>
    public virtual bool SetRotation2D(double radians) => false;

    public abstract IImageTransform ToTransform(double[] center);

    protected static Tensor NewParameter(float[] values, params long[] shape)
    {
        using var t = tensor(values, shape, dtype: ScalarType.Float32);
        return t.clone().requires_grad_(true);
    }

    protected static double[] Values(Tensor t)
    {
        using var scope = NewDisposeScope();
        return [.. t.detach().contiguous().to_type(ScalarType.Float64).data<double>()];
    }
}

internal sealed class TranslationModel(int dimension, double[] t0) : TransformModel(dimension, t0)
{
    public override IReadOnlyList<Tensor> Parameters => [Translation];

    public override Tensor Warp(Tensor points) => points.add(Translation, One);

    public override IImageTransform ToTransform(double[] center) => new TranslationTransform(Values(Translation));
}

/// <summary>Rigid: Euler angles (scaled by the radius) and a translation, rotation about the fixed image's centre.</summary>
internal sealed class RigidModel : TransformModel
{
    private readonly double _radius;
    private readonly Tensor _angles;

    public RigidModel(int dimension, double[] t0, double radius)
        : base(dimension, t0)
    {
        _radius = radius;
        _angles = NewParameter(new float[dimension == 2 ? 1 : 3], dimension == 2 ? 1 : 3);
    }

    public override IReadOnlyList<Tensor> Parameters => [_angles, Translation];

    public override Tensor Warp(Tensor points) => points.matmul(Rotation().t()).add(Translation, One);

    public override bool SetRotation2D(double radians)
    {
        if (Dimension != 2)
        {
            return false;
        }

        using (no_grad())
        {
            using var value = (radians * _radius).ToScalar();
            _angles.fill_(value);
        }

        return true;
    }

    public override IImageTransform ToTransform(double[] center)
    {
        var a = Values(_angles).Select(v => v / _radius).ToArray();
        var t = Values(Translation);
        return Dimension == 2 ? new Euler2DTransform(a[0], t, center) : new Euler3DTransform(a, t, center);
    }

    private Tensor Rotation()
    {
        using var radius = _radius.ToScalar();
        var a = _angles.div(radius);
        if (Dimension == 2)
        {
            var c = a[0].cos();
            var s = a[0].sin();
            return stack([c, -s, s, c]).view(2, 2);
        }

        using var one = ones(1, dtype: ScalarType.Float32);
        using var zero = zeros(1, dtype: ScalarType.Float32);
        var o = one.squeeze();
        var z = zero.squeeze();
        var (cx, sx) = (a[0].cos(), a[0].sin());
        var (cy, sy) = (a[1].cos(), a[1].sin());
        var (cz, sz) = (a[2].cos(), a[2].sin());
        var rx = stack([o, z, z, z, cx, -sx, z, sx, cx]).view(3, 3);
        var ry = stack([cy, z, sy, z, o, z, -sy, z, cy]).view(3, 3);
        var rz = stack([cz, -sz, z, sz, cz, z, z, z, o]).view(3, 3);
        return rz.matmul(rx).matmul(ry);
    }
}

/// <summary>Affine: A = I + M / radius and a translation, about the fixed image's centre.</summary>
internal sealed class AffineModel : TransformModel
{
    private readonly double _radius;
    private readonly Tensor _delta;

    public AffineModel(int dimension, double[] t0, double radius)
        : base(dimension, t0)
    {
        _radius = radius;
        _delta = NewParameter(new float[dimension * dimension], dimension, dimension);
    }

    public override IReadOnlyList<Tensor> Parameters => [_delta, Translation];

    public override Tensor Warp(Tensor points)
    {
        using var eye = TorchSharp.torch.eye(Dimension, dtype: ScalarType.Float32);
        using var radius = _radius.ToScalar();
        var a = eye.add(_delta.div(radius), One);
        return points.matmul(a.t()).add(Translation, One);
    }

    public override bool SetRotation2D(double radians)
    {
        if (Dimension != 2)
        {
            return false;
        }

        var (c, s) = (Math.Cos(radians), Math.Sin(radians));
        using var m = tensor(new[] { (float)((c - 1) * _radius), (float)(-s * _radius), (float)(s * _radius), (float)((c - 1) * _radius) }, [2, 2]);
        using (no_grad())
        {
            _delta.copy_(m);
        }

        return true;
    }

    public override IImageTransform ToTransform(double[] center)
    {
        var m = Values(_delta);
        var d = Dimension;
        var a = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                a[(i * d) + j] = (i == j ? 1 : 0) + (m[(i * d) + j] / _radius);
            }
        }

        return new AffineTransform(a, Values(Translation), center);
    }
}

/// <summary>
/// Cubic B-spline: coefficients [D, control points] in mm on a grid that starts coarse and is refined between pyramid
/// levels (<see cref="Refine"/>, exact subdivision, so each level starts from the previous level's deformation); the
/// initial translation stays fixed (it becomes a TranslationTransform composed after the B-spline).
/// </summary>
internal sealed class BSplineModel : TransformModel
{
    private readonly double[] _center;
    private readonly double[] _t0;
    private BSplineTransform _grid;
    private Tensor _coefficients;
    private float[] _gridFromCentred = []; // D x D: centred physical -> grid index (row-major)
    private float[] _gridOffset = [];      // D
    private Tensor? _bending;              // [P, P]: the bending energy's quadratic form on _bendingGrid
    private BSplineTransform? _bendingGrid;

    public BSplineModel(int dimension, double[] t0, BSplineTransform grid, double[] center)
        : base(dimension, new double[dimension])
    {
        _t0 = t0;
        _center = center;
        _grid = grid;
        _coefficients = NewParameter(new float[dimension * grid.ControlPointCount], dimension, grid.ControlPointCount);
        SetGrid(grid);
    }

    public override IReadOnlyList<Tensor> Parameters => [_coefficients];

    /// <summary>The current control-point grid (zero coefficients).</summary>
    public BSplineTransform Grid => _grid;

    /// <summary>
    /// Halves the control-point spacing, keeping the deformation (exact subdivision); the new coefficient tensor replaces
    /// the old one (disposed), so the optimiser must take <see cref="Parameters"/> again. Call outside any inner dispose scope.
    /// </summary>
    public void Refine()
    {
        var current = _grid.WithCoefficients(Values(_coefficients));
        var fine = current.Refine();
        var old = _coefficients;
        _coefficients = NewParameter([.. fine.Parameters.Select(v => (float)v)], Dimension, fine.ControlPointCount);
        old.Dispose();
        SetGrid(fine.WithCoefficients(new double[fine.Parameters.Length]));
    }

    private void SetGrid(BSplineTransform grid)
    {
        var dimension = Dimension;
        _grid = grid;
        // u = diag(1/S) Dir^-1 (x + c - origin), x centred.
        var dir = grid.GridDirection;
        var inv = MatrixMath.Invert(dir, dimension);
        var s = grid.GridSpacing;
        var o = grid.GridOrigin;
        _gridFromCentred = new float[dimension * dimension];
        _gridOffset = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            double off = 0;
            for (var j = 0; j < dimension; j++)
            {
                _gridFromCentred[(i * dimension) + j] = (float)(inv[(i * dimension) + j] / s[i]);
                off += inv[(i * dimension) + j] * (_center[j] - o[j]);
            }

            _gridOffset[i] = (float)(off / s[i]);
        }
    }

    public override Tensor Warp(Tensor points)
    {
        var d = Dimension;
        var n = points.shape[0];
        var (index, weights) = InterpolationWeights(points);
        var k = index.shape[1];
        var gathered = _coefficients.index_select(1, index.reshape(n * k)).view(d, n, k);
        var displacement = (gathered * weights.unsqueeze(0)).sum(2, keepdim: false).t();
        using var t0 = tensor(_t0.Select(v => (float)v).ToArray(), [d]);
        return points.add(displacement, One).add(t0, One);
    }

    /// <summary>
    /// For every point, the flat indices of the 4^D control points whose cubic B-splines reach it and their weights
    /// ([N, 4^D] each): u = the point's control-grid coordinate, start = clamp(floor(u - 1), 0, size - 4) per axis, the
    /// weight the product over the axes of the cubic kernel at u - start - k. Computed in one C# pass over the points
    /// (they carry no gradient) instead of some forty small tensor operations per iteration.
    /// </summary>
    internal (Tensor Index, Tensor Weights) InterpolationWeights(Tensor points)
    {
        var d = Dimension;
        var size = _grid.GridSize;
        // Read and written in the tensors' own memory: managed arrays of this size (hundreds of KB every iteration)
        // would land on the large-object heap and cost more in garbage collection than the loop itself.
        using var scope = NewDisposeScope();
        var source = points.detach().contiguous().to_type(ScalarType.Float32);
        ReadOnlySpan<float> p = MemoryMarshal.Cast<byte, float>(source.bytes);
        var n = p.Length / d;
        var k = d == 2 ? 16 : 64;
        var indexTensor = empty([n, k], dtype: ScalarType.Int64);
        var weightTensor = empty([n, k], dtype: ScalarType.Float32);
        var index = MemoryMarshal.Cast<byte, long>(indexTensor.bytes);
        var weights = MemoryMarshal.Cast<byte, float>(weightTensor.bytes);
        Span<int> start = stackalloc int[3];
        Span<float> w = stackalloc float[12];
        for (var i = 0; i < n; i++)
        {
            for (var a = 0; a < d; a++)
            {
                var u = _gridOffset[a];
                for (var b = 0; b < d; b++)
                {
                    u += _gridFromCentred[(a * d) + b] * p[(i * d) + b];
                }

                var s = (int)Math.Clamp(MathF.Floor(u - 1), 0, size[a] - 4);
                start[a] = s;
                for (var t = 0; t < 4; t++)
                {
                    w[(a * 4) + t] = (float)RegistrationMetrics.CubicWeight(u - s - t);
                }
            }

            // Ordered as the tensor form did: x fastest, then y, then z.
            var o = i * k;
            if (d == 2)
            {
                for (var ty = 0; ty < 4; ty++)
                {
                    for (var tx = 0; tx < 4; tx++, o++)
                    {
                        index[o] = start[0] + tx + ((long)(start[1] + ty) * size[0]);
                        weights[o] = w[tx] * w[4 + ty];
                    }
                }
            }
            else
            {
                for (var tz = 0; tz < 4; tz++)
                {
                    for (var ty = 0; ty < 4; ty++)
                    {
                        for (var tx = 0; tx < 4; tx++, o++)
                        {
                            index[o] = start[0] + tx + ((long)(start[1] + ty) * size[0]) + ((long)(start[2] + tz) * size[0] * size[1]);
                            weights[o] = w[tx] * w[4 + ty] * w[8 + tz];
                        }
                    }
                }
            }
        }

        return (indexTensor.MoveToOuterDisposeScope(), weightTensor.MoveToOuterDisposeScope());
    }

    /// <summary>The reference of <see cref="InterpolationWeights"/>: the same indices and weights by tensor operations (the former code).</summary>
    internal (Tensor Index, Tensor Weights) InterpolationWeightsReference(Tensor points)
    {
        var d = Dimension;
        var size = _grid.GridSize;
        var n = points.shape[0];
        Tensor index;
        Tensor weights;
        using (no_grad())
        {
            using var m = tensor(_gridFromCentred, [d, d]);
            using var off = tensor(_gridOffset, [d]);
            var u = points.detach().matmul(m.t()).add(off, One);
            var start = u.sub(OfInteger(1)).floor();
            using var maxStart = tensor(size.Select(g => (float)(g - 4)).ToArray(), [d]);
            start = start.clamp_min(OfInteger(0)).minimum(maxStart);
            using var ks = tensor(new float[] { 0, 1, 2, 3 }, [4]);
            var w1 = RegistrationMetrics.CubicKernel(u.unsqueeze(2) - start.unsqueeze(2) - ks.view(1, 1, 4)); // [N, D, 4]
            var startL = start.to_type(ScalarType.Int64);
            using var kl = tensor(new long[] { 0, 1, 2, 3 }, [4]);
            var ix = startL.select(1, 0).unsqueeze(1).add(kl.unsqueeze(0), OfInteger(1)); // [N, 4]
            var iy = startL.select(1, 1).unsqueeze(1).add(kl.unsqueeze(0), OfInteger(1));
            if (d == 2)
            {
                index = ix.unsqueeze(1).add(iy.unsqueeze(2).mul(OfInteger(size[0])), OfInteger(1)).reshape(n, 16);
                weights = (w1.select(1, 0).unsqueeze(1) * w1.select(1, 1).unsqueeze(2)).reshape(n, 16);
            }
            else
            {
                var iz = startL.select(1, 2).unsqueeze(1).add(kl.unsqueeze(0), OfInteger(1));
                index = ix.view(n, 1, 1, 4).add(iy.view(n, 1, 4, 1).mul(OfInteger(size[0])), OfInteger(1))
                    .add(iz.view(n, 4, 1, 1).mul(OfInteger(size[0] * size[1])), OfInteger(1)).reshape(n, 64);
                weights = (w1.select(1, 0).view(n, 1, 1, 4) * w1.select(1, 1).view(n, 1, 4, 1) * w1.select(1, 2).view(n, 4, 1, 1)).reshape(n, 64);
            }
        }

        return (index, weights);
    }

    /// <summary>
    /// The warp of a whole fixed grid, separably: when the grid's axes are the control grid's (the control grid is laid
    /// on the fixed image, so they are unless a caller built another), a voxel's control-grid coordinate along an axis
    /// depends on its index along that axis only, and the displacement on the grid is the coefficient array multiplied
    /// along each axis by a [voxels x control points] matrix of cubic B-spline weights (the same four weights per voxel
    /// and axis as <see cref="Warp"/>). A 256x256 grid then costs two small matrix products per component instead of
    /// gathering 16 coefficients per voxel. The matrices are made once per level and grid. Null (use <see cref="Warp"/>)
    /// when the axes differ.
    /// </summary>
    public override Tensor? WarpFullGrid(RegistrationLevel level, Tensor gridPoints)
    {
        ArgumentNullException.ThrowIfNull(level);
        ArgumentNullException.ThrowIfNull(gridPoints);
        var d = Dimension;
        if (level.Dimension != d)
        {
            return null;
        }

        // Keyed by the control grid: a refinement (between levels in the engine) makes new matrices.
        var weights = level.Cached(_grid, () => AxisWeights(level));
        if (weights.Tensors.Count == 0)
        {
            return null;
        }

        var size = _grid.GridSize;
        Tensor displacement;
        if (d == 2)
        {
            // [d, gy, gx] -> [d, Sy, gx] -> [d, Sy, Sx]
            var c = _coefficients.view(d, size[1], size[0]);
            displacement = weights.Tensors[1].matmul(c).matmul(weights.Tensors[0].t()).reshape(d, -1);
        }
        else
        {
            // [d, gz, gy, gx] -> x: [d, gz, gy, Sx] -> y: [d, gz, Sy, Sx] -> z: [d, Sz, Sy * Sx]
            var c = _coefficients.view(d, size[2], size[1], size[0]);
            var sx = level.Size[0];
            var sy = level.Size[1];
            var x = c.matmul(weights.Tensors[0].t());
            var y = weights.Tensors[1].matmul(x);
            displacement = weights.Tensors[2].matmul(y.reshape(d, size[2], sy * sx)).reshape(d, -1);
        }

        using var t0 = tensor(_t0.Select(v => (float)v).ToArray(), [d]);
        return gridPoints.add(displacement.t(), One).add(t0, One);
    }

    /// <summary>
    /// Per axis a, the [level size a x control points a] weights of the voxels' control-grid coordinates, as
    /// <see cref="Warp"/> computes them (start = clamp(floor(u - 1)), four cubic weights); no tensors when the level's
    /// axes are not the control grid's.
    /// </summary>
    private LevelTensors AxisWeights(RegistrationLevel level)
    {
        var d = Dimension;
        var a = level.FixedIndexToCentred;
        var o = level.FixedOriginCentred;
        // u = G (A i + o) + g0 = M i + b.
        double[] g = [.. _gridFromCentred.Select(v => (double)v)];
        var m = MatrixMath.Multiply(g, a, d);
        var b = MatrixMath.Apply(g, o, d);
        for (var i = 0; i < d; i++)
        {
            b[i] += _gridOffset[i];
        }

        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                if (i != j && Math.Abs(m[(i * d) + j]) > 1e-6 * Math.Abs(m[(i * d) + i]))
                {
                    return new LevelTensors();
                }
            }
        }

        var size = _grid.GridSize;
        var tensors = new Tensor[d];
        for (var axis = 0; axis < d; axis++)
        {
            var voxels = level.Size[axis];
            var controls = size[axis];
            var w = new float[voxels * controls];
            for (var v = 0; v < voxels; v++)
            {
                // Where u is a whole number the two paths may pick start or start + 1: the weight that differs is the
                // kernel's at 2, which is 0.
                var u = (m[(axis * d) + axis] * v) + b[axis];
                var start = (int)Math.Clamp(Math.Floor(u - 1), 0, controls - 4);
                for (var k = 0; k < 4; k++)
                {
                    w[(v * controls) + start + k] = (float)RegistrationMetrics.CubicWeight(u - start - k);
                }
            }

            using var t = tensor(w, [voxels, controls]);
            tensors[axis] = t.clone();
        }

        return new LevelTensors(tensors);
    }

    /// <summary>
    /// Discrete bending energy: the mean over the grid of the squared second differences of the coefficients divided by
    /// the squared spacing, i.e. of the squared second derivatives of the displacement (1/mm^2), summed over the
    /// components and the pairs of axes as the bending energy does (the mixed terms twice). In these units the same
    /// smooth deformation has the same energy on every grid, so one weight holds across the refinements. It is a
    /// quadratic form of the coefficients, sum over components of c K c with K made once per grid
    /// (<see cref="BendingMatrix"/>): three tensor operations an iteration instead of some thirty. Grids of more than
    /// 4,096 control points (large 3D grids, where K would be big) use <see cref="PenaltyReference"/>, which gives the
    /// same value.
    /// </summary>
    public override Tensor Penalty()
    {
        var count = _grid.ControlPointCount;
        if (count > 4096)
        {
            return PenaltyReference();
        }

        if (_bending is null || !ReferenceEquals(_bendingGrid, _grid))
        {
            _bending?.Dispose();
            _bending = BendingMatrix(_grid, Dimension);
            _bending.DetachFromDisposeScope();
            _bendingGrid = _grid;
        }

        return _coefficients.matmul(_bending).mul(_coefficients).sum();
    }

    /// <summary>
    /// K [P x P] of the bending energy as a quadratic form over one displacement component (P control points): the sum
    /// over the second-difference stencils along every axis and the mixed stencils of every pair of axes (weight 2) of
    /// D^T D, each divided by the number of terms the reference averages (components x stencil positions) and by the
    /// spacing^4 (the reference scales the coefficients by 1/spacing^2 before differencing).
    /// </summary>
    internal static Tensor BendingMatrix(BSplineTransform grid, int dimension)
    {
        var size = grid.GridSize;
        var p = grid.ControlPointCount;
        var spacing = grid.GridSpacing.Average();
        var scale4 = 1 / (spacing * spacing * spacing * spacing);
        var k = new double[p * p];
        var stride = new int[dimension];
        stride[0] = 1;
        for (var a = 1; a < dimension; a++)
        {
            stride[a] = stride[a - 1] * size[a - 1];
        }

        // Adds w * (sum_j c_j x_{i_j})^2 for one stencil placed at every position where it fits.
        void AddStencil(int[] offsets, double[] coefficients, int[] extent, double weight)
        {
            var positions = 1;
            for (var a = 0; a < dimension; a++)
            {
                positions *= size[a] - extent[a];
            }

            if (positions <= 0)
            {
                return;
            }

            var w = weight / (dimension * (double)positions);
            var pos = new int[dimension];
            for (var n = 0; n < positions; n++)
            {
                var r = n;
                var baseIndex = 0;
                for (var a = 0; a < dimension; a++)
                {
                    pos[a] = r % (size[a] - extent[a]);
                    r /= size[a] - extent[a];
                    baseIndex += pos[a] * stride[a];
                }

                for (var x = 0; x < offsets.Length; x++)
                {
                    for (var y = 0; y < offsets.Length; y++)
                    {
                        k[((baseIndex + offsets[x]) * p) + baseIndex + offsets[y]] += w * coefficients[x] * coefficients[y];
                    }
                }
            }
        }

        for (var a = 0; a < dimension; a++)
        {
            var extent = new int[dimension];
            extent[a] = 2;
            AddStencil([0, stride[a], 2 * stride[a]], [1, -2, 1], extent, 1);
            for (var b = a + 1; b < dimension; b++)
            {
                var mixed = new int[dimension];
                mixed[a] = 1;
                mixed[b] = 1;
                AddStencil([0, stride[a], stride[b], stride[a] + stride[b]], [1, -1, -1, 1], mixed, 2);
            }
        }

        var values = new float[p * p];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(k[i] * scale4);
        }

        using var t = tensor(values, [p, p]);
        return t.clone();
    }

    /// <summary>
    /// The reference of <see cref="Penalty"/> (the former code), by differences of the coefficient array: discrete bending energy: the mean over the grid of the squared second differences of the coefficients divided by
    /// the squared spacing, i.e. of the squared second derivatives of the displacement (1/mm^2), summed over the
    /// components and the pairs of axes as the bending energy does (the mixed terms twice). In these units the same
    /// smooth deformation has the same energy on every grid, so one weight holds across the refinements.
    /// </summary>
    internal Tensor PenaltyReference()
    {
        var d = Dimension;
        var size = _grid.GridSize;
        var s = _grid.GridSpacing.Average();
        using var scale = ((double)(float)(1 / (s * s))).ToScalar();
        var c = d == 2 ? _coefficients.view(d, size[1], size[0]).mul(scale) : _coefficients.view(d, size[2], size[1], size[0]).mul(scale);
        Tensor Second(int axis)
        {
            var len = c.shape[axis];
            return c.narrow(axis, 2, len - 2).sub(c.narrow(axis, 1, len - 2).mul(OfInteger(2))).add(c.narrow(axis, 0, len - 2), One);
        }

        Tensor Mixed(int a, int b)
        {
            var la = c.shape[a];
            var lb = c.shape[b];
            var hi = c.narrow(a, 1, la - 1);
            var lo = c.narrow(a, 0, la - 1);
            return hi.narrow(b, 1, lb - 1).sub(hi.narrow(b, 0, lb - 1)).sub(lo.narrow(b, 1, lb - 1)).add(lo.narrow(b, 0, lb - 1), One);
        }

        var energy = zeros(1, dtype: ScalarType.Float32).squeeze();
        for (var a = 1; a <= d; a++)
        {
            energy = energy.add(Second(a).pow(OfInteger(2)).mean(), One);
            for (var b = a + 1; b <= d; b++)
            {
                energy = energy.add(Mixed(a, b).pow(OfInteger(2)).mean().mul(OfInteger(2)), One);
            }
        }

        return energy;
    }

    public override IImageTransform ToTransform(double[] center)
    {
        var spline = _grid.WithCoefficients(Values(_coefficients));
        return _t0.All(v => v == 0) ? spline : new CompositeTransform([new TranslationTransform(_t0), spline]);
    }
}
