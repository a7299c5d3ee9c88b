using DeepSim.Imaging;

namespace DeepSim.Registration;

/// <summary>How <see cref="ImageResampler"/> reads the moving image between voxel centres.</summary>
public enum ResampleInterpolation
{
    /// <summary>Bilinear (2D) or trilinear (3D) interpolation of the neighbouring voxels.</summary>
    Linear,

    /// <summary>The value of the nearest voxel (halves round up, as ITK's NearestNeighborInterpolateImageFunction).</summary>
    NearestNeighbor,
}

/// <summary>Options of <see cref="ImageResampler.Resample"/>.</summary>
public sealed record ResampleOptions
{
    /// <summary>Interpolation of the moving image; default linear.</summary>
    public ResampleInterpolation Interpolation { get; init; } = ResampleInterpolation.Linear;

    /// <summary>Value of output voxels that map outside the moving image; default 0.</summary>
    public float DefaultValue { get; init; }

    /// <summary>Rows computed at once (default: all cores); 1 computes on the calling thread only.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// Resamples an image through a transform onto a reference grid, in ITK's convention: for every voxel of the
/// reference grid at physical point x, the output is image(T(x)), the moving image read at the transformed point.
/// </summary>
/// <remarks>
/// <para>Physical points and continuous indices are converted through each image's <see cref="ImageGeometry"/>,
/// direction cosines included (index = (D·diag(spacing))⁻¹ · (x − origin)). 3D transforms use the full 3x3 geometry;
/// 2D transforms work on 2D images (one slice) in their in-plane coordinates: the upper-left 2x2 of the direction and
/// the x, y of origin and spacing.</para>
/// <para>As in ITK, a point is inside the moving image when every continuous index c satisfies −0.5 ≤ c &lt; size − 0.5;
/// linear interpolation clamps neighbours at the border; outside points, and points the transform maps to NaN, get
/// <see cref="ResampleOptions.DefaultValue"/>. A continuous index within 1e-6 voxel of an integer is taken as that
/// integer, so that the identity transform (whose round trip through the geometry may be off in the last bit)
/// reproduces the voxels exactly.</para>
/// <para>Rows are computed in parallel, each row by one thread into its own part of the output, so the result does not
/// depend on the number of threads. <see cref="IImageTransform.TransformPoint"/> is therefore called from several
/// threads at once: transforms must be safe for concurrent reads (the immutable ones are), or the caller sets
/// <see cref="ResampleOptions.MaxDegreeOfParallelism"/> to 1.</para>
/// </remarks>
public static class ImageResampler
{
    private const double SnapTolerance = 1e-6;

    /// <summary>
    /// Returns <paramref name="image"/> resampled through <paramref name="transform"/> onto the grid of
    /// <paramref name="reference"/>: the reference's size and geometry, the image's modality.
    /// </summary>
    /// <param name="image">The moving image, read at transformed points.</param>
    /// <param name="transform">Maps reference (fixed) physical points into the moving image.</param>
    /// <param name="reference">Gives the output grid: size, spacing, origin and direction.</param>
    /// <param name="options">Interpolation, default value, parallelism.</param>
    /// <param name="progress">Receives the number of rows done, now and then.</param>
    /// <param name="cancellationToken">Checked between rows.</param>
    /// <exception cref="ArgumentException">The transform's dimension is not the images' dimension, or a geometry is singular.</exception>
    /// <exception cref="InvalidOperationException">The transform threw, or returned a point of the wrong length.</exception>
    public static MedicalImage Resample(
        MedicalImage image,
        IImageTransform transform,
        MedicalImage reference,
        ResampleOptions? options = null,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(transform);
        ArgumentNullException.ThrowIfNull(reference);
        options ??= new ResampleOptions();
        var dim = transform.Dimension;
        if (dim is not (2 or 3))
        {
            throw new ArgumentException($"The transform has dimension {dim}; only 2D and 3D transforms exist.", nameof(transform));
        }

        if (image.Dimension != dim || reference.Dimension != dim)
        {
            throw new ArgumentException(
                $"A {dim}D transform needs {dim}D images, but the image is {image.Dimension}D ({image.SizeX}x{image.SizeY}x{image.SizeZ}) and the reference is {reference.Dimension}D ({reference.SizeX}x{reference.SizeY}x{reference.SizeZ}).",
                nameof(transform));
        }

        var toIndex = PhysicalToIndex.Of(image.Geometry, dim);
        var sizes = new[] { image.SizeX, image.SizeY, image.SizeZ };
        var voxels = image.VoxelSpan.ToArray();
        var output = new float[reference.VoxelCount];
        var rows = reference.SizeY * reference.SizeZ;
        var done = 0;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        var refGeometry = reference.Geometry;
        var nx = reference.SizeX;
        var linear = options.Interpolation == ResampleInterpolation.Linear;
        var fill = options.DefaultValue;

        try
        {
            Parallel.For(0, rows, parallel, row => ResampleRow(row));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        void ResampleRow(int row)
        {
            var y = row % reference.SizeY;
            var z = row / reference.SizeY;
            var point = new double[dim];
            var index = new double[3];
            for (var x = 0; x < nx; x++)
            {
                var p = refGeometry.IndexToPhysical(x, y, z);
                point[0] = p[0];
                point[1] = p[1];
                if (dim == 3)
                {
                    point[2] = p[2];
                }

                double[] moved;
                try
                {
                    moved = transform.TransformPoint(point);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new InvalidOperationException($"The transform {transform.GetType().Name} failed at point ({string.Join(", ", point)}): {e.Message}", e);
                }

                if (moved is null || moved.Length != dim)
                {
                    throw new InvalidOperationException($"The transform {transform.GetType().Name} returned {(moved is null ? "null" : $"a point with {moved.Length} coordinates")} for a {dim}D point.");
                }

                toIndex.Apply(moved, index);
                var o = x + (nx * row);
                output[o] = linear ? Linear(voxels, sizes, index, dim, fill) : Nearest(voxels, sizes, index, dim, fill);
            }

            var n = Interlocked.Increment(ref done);
            if (progress is not null && (n % 64 == 0 || n == rows))
            {
                progress.Report(n);
            }
        }

        var metadata = new Dictionary<string, string>
        {
            ["Resample.Source"] = image.Name,
            ["Resample.Reference"] = reference.Name,
            ["Resample.Transform"] = transform.GetType().Name,
            ["Resample.Interpolation"] = options.Interpolation.ToString(),
        };
        return new MedicalImage(output, reference.SizeX, reference.SizeY, reference.SizeZ, refGeometry, image.Modality, metadata: metadata);
    }

    private static double Snap(double c)
    {
        var r = Math.Round(c);
        return Math.Abs(c - r) <= SnapTolerance ? r : c;
    }

    private static bool Inside(double[] index, int[] sizes, int dim)
    {
        for (var a = 0; a < dim; a++)
        {
            var c = index[a];
            if (!(c >= -0.5 && c < sizes[a] - 0.5))
            {
                return false;
            }
        }

        return true;
    }

    private static float Nearest(float[] v, int[] sizes, double[] index, int dim, float fill)
    {
        if (!Inside(index, sizes, dim))
        {
            return fill;
        }

        var i = Math.Clamp((int)Math.Floor(index[0] + 0.5), 0, sizes[0] - 1);
        var j = Math.Clamp((int)Math.Floor(index[1] + 0.5), 0, sizes[1] - 1);
        var k = dim == 3 ? Math.Clamp((int)Math.Floor(index[2] + 0.5), 0, sizes[2] - 1) : 0;
        return v[i + (sizes[0] * (j + (sizes[1] * k)))];
    }

    private static float Linear(float[] v, int[] sizes, double[] index, int dim, float fill)
    {
        if (!Inside(index, sizes, dim))
        {
            return fill;
        }

        var nx = sizes[0];
        var ny = sizes[1];
        var fx = Math.Floor(index[0]);
        var fy = Math.Floor(index[1]);
        var tx = index[0] - fx;
        var ty = index[1] - fy;
        var x0 = Math.Clamp((int)fx, 0, nx - 1);
        var x1 = Math.Clamp((int)fx + 1, 0, nx - 1);
        var y0 = Math.Clamp((int)fy, 0, ny - 1);
        var y1 = Math.Clamp((int)fy + 1, 0, ny - 1);
        double Plane(int k)
        {
            var b = nx * ny * k;
            var top = tx == 0 ? v[b + x0 + (nx * y0)] : ((1 - tx) * v[b + x0 + (nx * y0)]) + (tx * v[b + x1 + (nx * y0)]);
            if (ty == 0)
            {
                return top;
            }

            var bottom = tx == 0 ? v[b + x0 + (nx * y1)] : ((1 - tx) * v[b + x0 + (nx * y1)]) + (tx * v[b + x1 + (nx * y1)]);
            return ((1 - ty) * top) + (ty * bottom);
        }

        if (dim == 2)
        {
            return (float)Plane(0);
        }

        var fz = Math.Floor(index[2]);
        var tz = index[2] - fz;
        var z0 = Math.Clamp((int)fz, 0, sizes[2] - 1);
        var near = Plane(z0);
        if (tz == 0)
        {
            return (float)near;
        }

        var z1 = Math.Clamp((int)fz + 1, 0, sizes[2] - 1);
        return (float)(((1 - tz) * near) + (tz * Plane(z1)));
    }

    /// <summary>The inverse of a geometry's index-to-physical map, in 2D (in-plane) or 3D.</summary>
    private sealed class PhysicalToIndex
    {
        private readonly double[] _inverse;
        private readonly double[] _origin;
        private readonly int _dim;

        private PhysicalToIndex(double[] inverse, double[] origin, int dim)
        {
            _inverse = inverse;
            _origin = origin;
            _dim = dim;
        }

        public static PhysicalToIndex Of(ImageGeometry g, int dim)
        {
            // m = D * diag(spacing), restricted to the first dim axes.
            var m = new double[dim * dim];
            for (var r = 0; r < dim; r++)
            {
                for (var c = 0; c < dim; c++)
                {
                    m[(r * dim) + c] = g.Direction[(3 * r) + c] * g.Spacing[c];
                }
            }

            double[] inv;
            if (dim == 2)
            {
                var det = (m[0] * m[3]) - (m[1] * m[2]);
                CheckDeterminant(det, g);
                inv = [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det];
            }
            else
            {
                var det = (m[0] * ((m[4] * m[8]) - (m[5] * m[7]))) - (m[1] * ((m[3] * m[8]) - (m[5] * m[6]))) + (m[2] * ((m[3] * m[7]) - (m[4] * m[6])));
                CheckDeterminant(det, g);
                inv =
                [
                    ((m[4] * m[8]) - (m[5] * m[7])) / det, ((m[2] * m[7]) - (m[1] * m[8])) / det, ((m[1] * m[5]) - (m[2] * m[4])) / det,
                    ((m[5] * m[6]) - (m[3] * m[8])) / det, ((m[0] * m[8]) - (m[2] * m[6])) / det, ((m[2] * m[3]) - (m[0] * m[5])) / det,
                    ((m[3] * m[7]) - (m[4] * m[6])) / det, ((m[1] * m[6]) - (m[0] * m[7])) / det, ((m[0] * m[4]) - (m[1] * m[3])) / det,
                ];
            }

            return new PhysicalToIndex(inv, [.. g.Origin.Take(dim)], dim);
        }

        public void Apply(double[] point, double[] index)
        {
            for (var r = 0; r < _dim; r++)
            {
                var sum = 0.0;
                for (var c = 0; c < _dim; c++)
                {
                    sum += _inverse[(r * _dim) + c] * (point[c] - _origin[c]);
                }

                index[r] = Snap(sum);
            }
        }

        private static void CheckDeterminant(double det, ImageGeometry g)
        {
            if (!(Math.Abs(det) > 1e-12) || !double.IsFinite(det))
            {
                throw new ArgumentException($"The image geometry ({g}) is singular: its direction and spacing do not span the image axes.");
            }
        }
    }
}
