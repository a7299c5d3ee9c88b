using System.Runtime.InteropServices;
using DeepSim.Imaging;
using static DeepSim.Runtime.HeldScalars;
using static TorchSharp.torch;

namespace DeepSim.Registration;

/// <summary>
/// One pyramid level as a metric sees it while the optimiser runs: the smoothed, shrunk fixed image, its mask, a
/// seeded random generator, and <see cref="Sample"/>, which maps fixed-grid indices through the current transform into
/// the moving image with gradients. Metrics (<see cref="IRegistrationMetric"/>) build their cost from it. Tensors
/// handed out belong to the caller's dispose scope, except <see cref="AllIndices"/> and <see cref="FixedMaskImage"/>,
/// which the level computes once and owns (callers must not dispose them). Coordinates are continuous voxel indices of
/// this level's fixed grid, x first (then y, then z). Disposing the level frees what it cached.
/// </summary>
public sealed class RegistrationLevel : IDisposable
{
    private readonly TransformModel _model;
    private readonly List<IDisposable> _owned = [];
    private readonly Dictionary<object, IDisposable> _cache = new(ReferenceEqualityComparer.Instance);
    private Tensor? _allIndices;
    private Tensor? _allPhysical;
    private Tensor? _fixedMaskImage;
    private readonly Tensor _fixedToPhysical;   // [D, D]: index -> centred physical (rows: physical axes)
    private readonly Tensor _fixedOrigin;       // [D]
    private readonly Tensor _physicalToMoving;  // [D, D]: centred physical -> moving level index
    private readonly Tensor _movingOrigin;      // [D]: moving index of centred physical 0
    private readonly int[] _maskVoxels;         // flat indices of fixed-mask voxels of the level
    private readonly Tensor? _movingMask;
    private readonly Tensor _center;            // [D]: the fixed image's centre, physical (mm)

    internal RegistrationLevel(
        int index,
        int dimension,
        int[] size,
        double[] spacing,
        Tensor fixedImage,
        Tensor movingImage,
        int[] movingSize,
        Tensor? movingMask,
        int[] maskVoxels,
        Tensor physicalToMoving,
        Tensor movingOrigin,
        double[] fixedIndexToCentred,
        double[] fixedOriginCentred,
        TransformModel model,
        Random random,
        RegistrationOptions options,
        (float Min, float Max) fixedRange,
        (float Min, float Max) movingRange,
        LevelSource source)
    {
        Index = index;
        Dimension = dimension;
        Size = size;
        Spacing = spacing;
        FixedImage = fixedImage;
        MovingImage = movingImage;
        MovingSize = movingSize;
        _movingMask = movingMask;
        _maskVoxels = maskVoxels;
        using (var t = tensor(fixedIndexToCentred.Select(v => (float)v).ToArray(), [dimension, dimension]))
        {
            _fixedToPhysical = t.clone();
        }

        using (var t = tensor(fixedOriginCentred.Select(v => (float)v).ToArray(), [dimension]))
        {
            _fixedOrigin = t.clone();
        }

        _physicalToMoving = physicalToMoving;
        _movingOrigin = movingOrigin;
        FixedIndexToCentred = fixedIndexToCentred;
        FixedOriginCentred = fixedOriginCentred;
        _model = model;
        Random = random;
        Options = options;
        FixedRange = fixedRange;
        MovingRange = movingRange;
        FixedSource = source.Fixed;
        MovingSource = source.Moving;
        ShrinkFactor = source.ShrinkFactor;
        SmoothingSigma = source.Sigma;
        StartTransform = source.StartTransform;
        _center = source.Center;
    }

    /// <summary>The full-resolution fixed image this level was made from (same origin: level index x <see cref="ShrinkFactor"/> = its index).</summary>
    public MedicalImage FixedSource { get; }

    /// <summary>The full-resolution moving image this level was made from.</summary>
    public MedicalImage MovingSource { get; }

    /// <summary>The level's shrink factor (full-resolution voxels per level voxel).</summary>
    public int ShrinkFactor { get; }

    /// <summary>The Gaussian smoothing sigma of the level, in full-resolution voxels.</summary>
    public double SmoothingSigma { get; }

    /// <summary>The transform when the level started (fixed physical point to moving physical point), without gradients.</summary>
    public IImageTransform StartTransform { get; }

    /// <summary>Level number, 0 = coarsest.</summary>
    public int Index { get; }

    /// <summary>2 or 3.</summary>
    public int Dimension { get; }

    /// <summary>The level's fixed grid size (x, y[, z]).</summary>
    public int[] Size { get; }

    /// <summary>The level's fixed voxel spacing in mm (x, y[, z]).</summary>
    public double[] Spacing { get; }

    /// <summary>The level's fixed image, [1, 1, H, W] or [1, 1, Z, H, W] (no gradient).</summary>
    public Tensor FixedImage { get; }

    /// <summary>The level's moving image, [1, 1, H, W] or [1, 1, Z, H, W].</summary>
    public Tensor MovingImage { get; }

    /// <summary>The level's moving grid size (x, y[, z]).</summary>
    public int[] MovingSize { get; }

    /// <summary>Direction x diag(spacing) of this level's fixed grid (D x D, row-major): continuous index to physical offset (mm).</summary>
    internal double[] FixedIndexToCentred { get; }

    /// <summary>The centred physical position (mm, the fixed image's centre subtracted) of this level's fixed index 0.</summary>
    internal double[] FixedOriginCentred { get; }

    /// <summary>The seeded generator for sampling (the same seed gives the same samples).</summary>
    public Random Random { get; }

    /// <summary>The registration's options.</summary>
    public RegistrationOptions Options { get; }

    /// <summary>Intensity range of the original fixed image.</summary>
    public (float Min, float Max) FixedRange { get; }

    /// <summary>Intensity range of the original moving image.</summary>
    public (float Min, float Max) MovingRange { get; }

    /// <summary>How <see cref="DrawSampleIndices"/> samples this level (<see cref="RegistrationOptions.SamplingOf"/>).</summary>
    public RegistrationSampling Sampling => Options.SamplingOf(Index);

    /// <summary>Number of voxels of the level inside the fixed mask.</summary>
    public int MaskVoxelCount => _maskVoxels.Length;

    /// <summary>The fraction of valid samples in the last <see cref="Sample"/> call.</summary>
    public double LastValidFraction { get; private set; } = 1;

    /// <summary>
    /// Sample positions per <see cref="Sampling"/>: [N, D] continuous indices inside the fixed mask
    /// (Random: new points each call, jittered within their voxel; Grid: a regular subset; Full: every mask voxel).
    /// </summary>
    public Tensor DrawSampleIndices()
    {
        var n = _maskVoxels.Length;
        switch (Sampling)
        {
            case RegistrationSampling.Full:
            case RegistrationSampling.Grid when n <= Options.SampleCount:
            case RegistrationSampling.Random when n <= Options.SampleCount:
                return IndicesOf(_maskVoxels, jitter: false);
            case RegistrationSampling.Grid:
                {
                    var stride = (double)n / Options.SampleCount;
                    var chosen = new int[Options.SampleCount];
                    for (var i = 0; i < chosen.Length; i++)
                    {
                        chosen[i] = _maskVoxels[(int)(i * stride)];
                    }

                    return IndicesOf(chosen, jitter: false);
                }

            default:
                {
                    var chosen = new int[Options.SampleCount];
                    for (var i = 0; i < chosen.Length; i++)
                    {
                        chosen[i] = _maskVoxels[Random.Next(n)];
                    }

                    return IndicesOf(chosen, jitter: true);
                }
        }
    }

    /// <summary>
    /// Every voxel of the level as [N, D] indices, in storage order (x fastest), mask or not. Made once per level and
    /// owned by it (do not dispose); <see cref="Sample"/> and <see cref="SampleMoving"/> recognise it and reuse the grid's physical points.
    /// </summary>
    public Tensor AllIndices()
    {
        if (_allIndices is null)
        {
            var total = Size.Aggregate(1, (a, b) => a * b);
            _allIndices = Own(IndicesOf(Enumerable.Range(0, total).ToArray(), jitter: false));
        }

        return _allIndices;
    }

    /// <summary>The fixed mask on the level's grid as a tensor shaped like <see cref="FixedImage"/> (1 inside, 0 outside); made once per level and owned by it (do not dispose).</summary>
    public Tensor FixedMaskImage()
    {
        if (_fixedMaskImage is null)
        {
            var total = Size.Aggregate(1, (a, b) => a * b);
            var m = new float[total];
            foreach (var v in _maskVoxels)
            {
                m[v] = 1;
            }

            using var t = tensor(m, FixedImage.shape);
            _fixedMaskImage = Own(t.clone());
        }

        return _fixedMaskImage;
    }

    /// <summary>
    /// What <paramref name="create"/> makes for <paramref name="key"/> (compared by reference), made on the first call of
    /// this level and reused by the later ones (metrics keep per-level constants here: fixed-image statistics, a
    /// transform's interpolation weights on this grid); disposed with the level. Tensors it holds must be detached from
    /// every dispose scope (<see cref="LevelTensors"/> does that).
    /// </summary>
    internal T Cached<T>(object key, Func<T> create)
        where T : class, IDisposable
    {
        if (!_cache.TryGetValue(key, out var entry))
        {
            entry = create();
            _cache[key] = entry;
        }

        return (T)entry;
    }

    /// <summary>Frees the tensors the level computed once (all indices, their physical points, the mask image, the cache).</summary>
    public void Dispose()
    {
        foreach (var t in _owned)
        {
            t.Dispose();
        }

        foreach (var c in _cache.Values)
        {
            c.Dispose();
        }

        _owned.Clear();
        _cache.Clear();
        _allIndices = null;
        _allPhysical = null;
        _fixedMaskImage = null;
    }

    /// <summary>
    /// <paramref name="count"/> patch centres (integer indices, [count, D]) drawn from the fixed mask such that an
    /// in-plane patch of side <paramref name="patchSize"/> lies inside the level's grid; fewer if the mask has fewer.
    /// </summary>
    public Tensor DrawPatchCentres(int count, int patchSize)
    {
        var half = patchSize / 2;
        var eligible = _maskVoxels.Where(v =>
        {
            var x = v % Size[0];
            var y = v / Size[0] % Size[1];
            return x >= half && x < Size[0] - half && y >= half && y < Size[1] - half;
        }).ToArray();
        if (eligible.Length == 0)
        {
            throw new RegistrationException(RegistrationError.PatchSizeTooLarge, $"No {patchSize}x{patchSize} patch fits inside the fixed mask at pyramid level {Index} ({string.Join("x", Size)} voxels).");
        }

        var chosen = new int[Math.Min(count, eligible.Length)];
        for (var i = 0; i < chosen.Length; i++)
        {
            chosen[i] = eligible[Random.Next(eligible.Length)];
        }

        return IndicesOf(chosen, jitter: false);
    }

    /// <summary>
    /// Samples both images at fixed-grid indices [N, D]: Fixed [N] (no gradient), Moving [N] = moving(T(x)) with
    /// gradients towards the transform, Valid [N] (1 where T(x) lies inside the moving image and its mask, else 0).
    /// </summary>
    public (Tensor Fixed, Tensor Moving, Tensor Valid) Sample(Tensor fixedIndices)
    {
        ArgumentNullException.ThrowIfNull(fixedIndices);
        Tensor fixedValues;
        using (no_grad())
        {
            fixedValues = GridSample(FixedImage, fixedIndices, Size);
        }

        var (_, movingIndex, valid) = Map(fixedIndices);
        var movingValues = GridSample(MovingImage, movingIndex, MovingSize);
        return (fixedValues, movingValues, valid);
    }

    private static float At(ReadOnlySpan<float> image, int sx, int sy, int sz, int x, int y, int z) =>
        x < 0 || y < 0 || z < 0 || x >= sx || y >= sy || z >= sz ? 0f : image[x + (sx * (y + (sy * z)))];

    /// <summary>Samples the moving image only: Moving [N] with gradients and Valid [N], as <see cref="Sample"/> does (for metrics that read the fixed image themselves, <see cref="FixedValuesAt"/>).</summary>
    internal (Tensor Moving, Tensor Valid) SampleMoving(Tensor fixedIndices)
    {
        ArgumentNullException.ThrowIfNull(fixedIndices);
        var (_, movingIndex, valid) = Map(fixedIndices);
        return (GridSample(MovingImage, movingIndex, MovingSize), valid);
    }

    /// <summary>
    /// The fixed image at fixed-grid indices [N, D] by bilinear (trilinear) interpolation with zeros outside, computed in
    /// C# into <paramref name="destination"/> (length N): <see cref="GridSample"/>'s values up to rounding, without its
    /// half-dozen tensor operations.
    /// </summary>
    internal void FixedValuesAt(Tensor fixedIndices, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(fixedIndices);
        using var scope = NewDisposeScope();
        var indexTensor = fixedIndices.detach().contiguous();
        ReadOnlySpan<float> index = MemoryMarshal.Cast<byte, float>(indexTensor.bytes);
        ReadOnlySpan<float> image = MemoryMarshal.Cast<byte, float>(FixedImage.contiguous().bytes);
        var d = Dimension;
        var n = index.Length / d;
        var sx = Size[0];
        var sy = Size[1];
        var sz = d == 3 ? Size[2] : 1;
        for (var i = 0; i < n; i++)
        {
            var x = index[i * d];
            var y = index[(i * d) + 1];
            var z = d == 3 ? index[(i * d) + 2] : 0f;
            var x0 = (int)MathF.Floor(x);
            var y0 = (int)MathF.Floor(y);
            var z0 = (int)MathF.Floor(z);
            var fx = x - x0;
            var fy = y - y0;
            var fz = z - z0;
            var v = ((1 - fx) * (1 - fy) * At(image, sx, sy, sz, x0, y0, z0)) + (fx * (1 - fy) * At(image, sx, sy, sz, x0 + 1, y0, z0))
                + ((1 - fx) * fy * At(image, sx, sy, sz, x0, y0 + 1, z0)) + (fx * fy * At(image, sx, sy, sz, x0 + 1, y0 + 1, z0));
            if (d == 3)
            {
                var upper = ((1 - fx) * (1 - fy) * At(image, sx, sy, sz, x0, y0, z0 + 1)) + (fx * (1 - fy) * At(image, sx, sy, sz, x0 + 1, y0, z0 + 1))
                    + ((1 - fx) * fy * At(image, sx, sy, sz, x0, y0 + 1, z0 + 1)) + (fx * fy * At(image, sx, sy, sz, x0 + 1, y0 + 1, z0 + 1));
                v = ((1 - fz) * v) + (fz * upper);
            }

            destination[i] = v;
        }
    }

    /// <summary>
    /// Maps fixed-grid indices [N, D] through the current transform: the moving physical points [N, D] in mm (with
    /// gradients towards the transform) and Valid [N] as in <see cref="Sample"/> (1 where the point lies inside the
    /// moving image and its mask); updates <see cref="LastValidFraction"/>. For metrics that read their own maps of
    /// the moving image (e.g. a learned model's feature maps) instead of its intensities.
    /// </summary>
    public (Tensor MovingPhysical, Tensor Valid) MapToMovingPhysical(Tensor fixedIndices)
    {
        ArgumentNullException.ThrowIfNull(fixedIndices);
        var (moved, _, valid) = Map(fixedIndices);
        return (moved.add(_center, One), valid);
    }

    private (Tensor MovedCentred, Tensor MovingIndex, Tensor Valid) Map(Tensor fixedIndices)
    {
        Tensor moved;
        if (ReferenceEquals(fixedIndices, _allIndices))
        {
            // Every voxel of the grid: the physical points are computed once, and a transform model that can warp a
            // whole grid faster than point by point (the B-spline, separably) does.
            if (_allPhysical is null)
            {
                using (no_grad())
                {
                    _allPhysical = Own(fixedIndices.matmul(_fixedToPhysical.t()).add(_fixedOrigin, One));
                }
            }

            moved = _model.WarpFullGrid(this, _allPhysical) ?? _model.Warp(_allPhysical);
        }
        else
        {
            var physical = fixedIndices.matmul(_fixedToPhysical.t()).add(_fixedOrigin, One);
            moved = _model.Warp(physical);
        }

        var movingIndex = moved.matmul(_physicalToMoving.t()).add(_movingOrigin, One);
        // Inside the moving image (index in [0, size - 1] on every axis; NaN is outside): one C# pass over the points,
        // in the tensors' own memory (managed arrays this large every iteration would burden the garbage collector).
        Tensor valid;
        var inside = 0;
        int n;
        using (var scope = NewDisposeScope())
        {
            var coordinates = movingIndex.detach().contiguous();
            ReadOnlySpan<float> index = MemoryMarshal.Cast<byte, float>(coordinates.bytes);
            n = index.Length / Dimension;
            valid = empty([n], dtype: ScalarType.Float32);
            var flags = MemoryMarshal.Cast<byte, float>(valid.bytes);
            for (var i = 0; i < n; i++)
            {
                var ok = true;
                for (var a = 0; a < Dimension && ok; a++)
                {
                    var c = index[(i * Dimension) + a];
                    ok = c >= 0 && c <= MovingSize[a] - 1;
                }

                flags[i] = ok ? 1 : 0;
                inside += ok ? 1 : 0;
            }

            valid.MoveToOuterDisposeScope();
        }

        if (_movingMask is not null)
        {
            using (no_grad())
            {
                valid = valid * GridSample(_movingMask, movingIndex.detach(), MovingSize).gt(Of(0.5)).to_type(ScalarType.Float32);
                LastValidFraction = valid.mean().item<float>();
            }
        }
        else
        {
            LastValidFraction = n == 0 ? 0 : (double)inside / n;
        }

        return (moved, movingIndex, valid);
    }

    /// <summary>Bilinear/trilinear interpolation of an image [1, 1, (Z,) H, W] at continuous indices [N, D] (zero outside).</summary>
    public Tensor GridSample(Tensor image, Tensor indices, int[] size)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(indices);
        return SampleChannels(image, indices, size).reshape(indices.shape[0]);
    }

    /// <summary>
    /// Bilinear/trilinear interpolation of a [1, C, (Z,) H, W] map (C channels on a grid of <paramref name="size"/>,
    /// x first) at continuous indices [N, D] (x first): [C, N], zero outside, differentiable in the indices.
    /// </summary>
    internal static Tensor SampleChannels(Tensor maps, Tensor indices, int[] size)
    {
        var d = size.Length;
        var scale = new float[d];
        for (var i = 0; i < d; i++)
        {
            scale[i] = size[i] > 1 ? 2f / (size[i] - 1) : 0f;
        }

        using var s = tensor(scale);
        var g = (indices * s).sub(OfInteger(1));
        var n = indices.shape[0];
        var grid = d == 2 ? g.view(1, 1, n, 2) : g.view(1, 1, 1, n, 3);
        var output = nn.functional.grid_sample(maps, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: true);
        return output.reshape(maps.shape[1], n);
    }

    private Tensor Own(Tensor t)
    {
        t.DetachFromDisposeScope();
        _owned.Add(t);
        return t;
    }

    private Tensor IndicesOf(int[] flat, bool jitter)
    {
        var d = Dimension;
        var data = new float[flat.Length * d];
        for (var i = 0; i < flat.Length; i++)
        {
            var v = flat[i];
            var x = v % Size[0];
            var y = v / Size[0] % Size[1];
            data[i * d] = x;
            data[(i * d) + 1] = y;
            if (d == 3)
            {
                data[(i * d) + 2] = v / (Size[0] * Size[1]);
            }

            if (jitter)
            {
                for (var k = 0; k < d; k++)
                {
                    var j = (float)(Random.NextDouble() - 0.5);
                    var c = data[(i * d) + k] + j;
                    data[(i * d) + k] = Math.Clamp(c, 0, Size[k] - 1);
                }
            }
        }

        using var t = tensor(data, [flat.Length, d]);
        return t.clone();
    }
}

/// <summary>What a level was built from, beyond its tensors: the full-resolution images, the shrink factor and smoothing, the transform at the level's start and the fixed image's centre.</summary>
internal sealed record LevelSource(MedicalImage Fixed, MedicalImage Moving, int ShrinkFactor, double Sigma, IImageTransform StartTransform, Tensor Center);

/// <summary>Tensors kept across iterations (in a <see cref="RegistrationLevel.Cached"/> entry): detached from every dispose scope, freed together.</summary>
internal sealed class LevelTensors : IDisposable
{
    public LevelTensors(params Tensor[] tensors)
    {
        foreach (var t in tensors)
        {
            t.DetachFromDisposeScope();
        }

        Tensors = tensors;
    }

    public IReadOnlyList<Tensor> Tensors { get; }

    public void Dispose()
    {
        foreach (var t in Tensors)
        {
            t.Dispose();
        }
    }
}
