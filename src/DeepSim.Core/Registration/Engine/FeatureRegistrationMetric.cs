using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Patches;
using TorchSharp;
using static DeepSim.Runtime.HeldScalars;
using static TorchSharp.torch;

namespace DeepSim.Registration;

/// <summary>
/// A feature-map model (<see cref="IFeatureMapModel"/>: the two-branch CNN, 2D or 3D) as a registration metric. The
/// networks see full-resolution images, as in training:
/// <list type="bullet">
/// <item>the fixed image's feature maps are computed once per registration;</item>
/// <item>at the start of every pyramid level the moving image is resampled onto the fixed grid through the transform
/// reached so far (T0, when it is linear) and its feature maps are computed once, so the networks compare patches in
/// the same orientation (the CNN is not rotation-invariant); for a B-spline transform the moving image's own maps are
/// used;</item>
/// <item>both maps are smoothed with the level's Gaussian sigma (in full-resolution voxels);</item>
/// <item>every iteration, the level's sample points (the same random, grid or full sampling and fixed mask as every
/// other metric) are mapped through the current transform T; the fixed vector at x and the moving vector at
/// T0^-1(T(x)) are read by bilinear/trilinear <c>grid_sample</c> (differentiable in T), and the cost is the negated mean
/// cosine over the points where both patches fit (inside half a patch of the border) and T(x) lies inside the moving
/// image and its mask;</item>
/// <item>with an LCC anchor, plus the trained weight times the engine's LCC (squared coefficient, the anchor's window),
/// as the model scores patches.</item>
/// </list>
/// An iteration therefore costs two small <c>grid_sample</c> calls (and the LCC of the level with the anchor); the
/// networks run once per level.
/// </summary>
internal sealed class FeatureRegistrationMetric : IRegistrationMetric
{
    private const double CosineEpsilon = 1e-8;
    private readonly IFeatureMapModel _model;
    private readonly LocalCorrelationRegistrationMetric? _anchor;
    private MedicalImage? _fixedSource;
    private FeatureMaps? _fixedMaps;
    private MedicalImage? _movingSource;
    private FeatureMaps? _movingMaps;
    private RegistrationLevel? _level;
    private Prepared? _prepared;

    public FeatureRegistrationMetric(IFeatureMapModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.FeatureMapDimension is not (2 or 3))
        {
            throw new RegistrationException(RegistrationError.UnsupportedMetric, $"Model '{model.Name}' describes {model.FeatureMapDimension}D patches; a registration metric needs 2D or 3D feature maps.");
        }

        _model = model;
        _anchor = model.Anchor == FeatureScoreAnchor.Lcc && model.AnchorWeight > 0
            ? new LocalCorrelationRegistrationMetric(model.AnchorWindowRadius, squared: true)
            : null;
    }

    public string Name => _model.Name;

    /// <summary>Null: the networks run at full resolution, whatever the level (<see cref="CheckImages"/> checks the fit).</summary>
    public int? PatchSize => null;

    /// <summary>Number of levels whose moving feature maps were computed (once per level; for tests and diagnostics).</summary>
    internal int FeatureMapComputations { get; private set; }

    /// <summary>The model's dimension must be the images', and a patch must fit inside both images.</summary>
    /// <exception cref="RegistrationException">DimensionMismatch or PatchSizeTooLarge.</exception>
    internal void CheckImages(MedicalImage fixedImage, MedicalImage movingImage)
    {
        var d = fixedImage.Dimension;
        if (d != _model.FeatureMapDimension)
        {
            throw new RegistrationException(RegistrationError.DimensionMismatch, $"Model '{_model.Name}' describes {_model.FeatureMapDimension}D patches, but the images are {d}D ('{fixedImage.Name}', {string.Join("x", fixedImage.Size)}); register {_model.FeatureMapDimension}D images with it, or use a model trained on {d}D patches (or MI).");
        }

        foreach (var image in new[] { fixedImage, movingImage })
        {
            for (var a = 0; a < d; a++)
            {
                if (image.Size[a] < _model.PatchSize)
                {
                    throw new RegistrationException(RegistrationError.PatchSizeTooLarge, $"Model '{_model.Name}' describes {_model.PatchSize}-voxel patches, but '{image.Name}' is only {string.Join("x", image.Size)} voxels; no patch fits.");
                }
            }
        }
    }

    public Tensor Cost(RegistrationLevel level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var p = Prepare(level);
        var d = level.Dimension;
        using var factor = ((double)level.ShrinkFactor).ToScalar();

        // The anchor first: its whole-level sampling would otherwise overwrite the valid fraction of the points below.
        var anchorCost = _anchor?.Cost(level);

        var indices = level.DrawSampleIndices();
        var (moved, valid) = level.MapToMovingPhysical(indices);
        var fixedMaps = p.Fixed;
        var movingMaps = p.Moving;
        using var gridMatrix = tensor(p.ToGrid, [d, d]);
        using var gridOffset = tensor(p.GridOffset, [d]);
        Tensor fixedVectors;
        Tensor fixedInside;
        using (no_grad())
        {
            var full = indices.mul(factor);
            fixedVectors = RegistrationLevel.SampleChannels(fixedMaps, full, p.FixedSize).t();
            fixedInside = Inside(full, p.FixedSize, p.Margin);
        }

        var gridIndices = moved.matmul(gridMatrix.t()).add(gridOffset, One);
        var movingVectors = RegistrationLevel.SampleChannels(movingMaps, gridIndices, p.MovingSize).t();
        Tensor weight;
        using (no_grad())
        {
            if (fixedInside.sum().item<float>() == 0)
            {
                throw new RegistrationException(RegistrationError.PatchSizeTooLarge, $"Model '{_model.Name}' describes {_model.PatchSize}-voxel patches, but none of the fixed samples at pyramid level {level.Index} lies where such a patch fits inside '{level.FixedSource.Name}' ({string.Join("x", level.FixedSource.Size)}): the fixed mask hugs the border. Use a mask at least {_model.PatchSize / 2} voxels from the border, or another metric.");
            }

            weight = fixedInside.mul(valid).mul(Inside(gridIndices.detach(), p.MovingSize, p.Margin));
        }

        var dot = fixedVectors.mul(movingVectors).sum(1);
        var norms = fixedVectors.mul(fixedVectors).sum(1).mul(movingVectors.mul(movingVectors).sum(1)).add(Of(CosineEpsilon), One).sqrt();
        var cosine = dot.div(norms);
        var meanCosine = cosine.mul(weight).sum().div(weight.sum().clamp_min(Of(1e-6)));
        var cost = meanCosine.neg();
        if (anchorCost is not null)
        {
            using var w = _model.AnchorWeight.ToScalar();
            cost = cost.add(anchorCost, w);
        }

        return cost;
    }

    /// <summary>1 where every coordinate of [N, D] lies in [margin, size - 1 - margin], else 0.</summary>
    private static Tensor Inside(Tensor indices, int[] size, int margin)
    {
        var inside = ones(indices.shape[0], dtype: ScalarType.Float32);
        for (var a = 0; a < size.Length; a++)
        {
            var c = indices.select(1, a);
            using var low = ((double)margin).ToScalar();
            using var high = ((double)(size[a] - 1 - margin)).ToScalar();
            inside = inside.mul(c.ge(low).to_type(ScalarType.Float32)).mul(c.le(high).to_type(ScalarType.Float32));
        }

        return inside;
    }

    /// <summary>The level's smoothed feature maps (once per level) and the map from moving physical points to the moving maps' grid.</summary>
    private Prepared Prepare(RegistrationLevel level)
    {
        if (ReferenceEquals(level, _level) && _prepared is not null)
        {
            return _prepared;
        }

        var fixedImage = level.FixedSource;
        var movingImage = level.MovingSource;
        var d = level.Dimension;
        if (!ReferenceEquals(fixedImage, _fixedSource) || _fixedMaps is null)
        {
            _fixedMaps = _model.ComputeFeatureMaps(fixedImage, FeatureBranch.Fixed, null);
            _fixedSource = fixedImage;
        }

        FeatureMaps movingMaps;
        double[] toGrid;
        double[] gridOffset;
        if (level.StartTransform is LinearTransform start && start.Dimension == d)
        {
            // The moving image as the transform so far shows it on the fixed grid; a point q of the moving image is at
            // T0^-1(q) there: index = (Dir_f S_f)^-1 (A0^-1 (q - o0) - origin_f).
            var range = IntensityRange.Of(movingImage);
            var warped = ImageResampler.Resample(movingImage, start, fixedImage, new ResampleOptions { DefaultValue = range.Min, MaxDegreeOfParallelism = 1 });
            movingMaps = _model.ComputeFeatureMaps(warped, FeatureBranch.Moving, range);
            var inverse = MatrixMath.Invert(start.Matrix, d);
            var toFixed = PhysicalToIndex(fixedImage);
            toGrid = MatrixMath.Multiply(toFixed, inverse, d);
            var offset = start.Offset;
            var origin = fixedImage.Geometry.Origin;
            var inner = new double[d];
            for (var i = 0; i < d; i++)
            {
                var s = 0.0;
                for (var j = 0; j < d; j++)
                {
                    s += inverse[(i * d) + j] * offset[j];
                }

                inner[i] = -s - origin[i];
            }

            gridOffset = MatrixMath.Apply(toFixed, inner, d);
        }
        else
        {
            if (!ReferenceEquals(movingImage, _movingSource) || _movingMaps is null)
            {
                _movingMaps = _model.ComputeFeatureMaps(movingImage, FeatureBranch.Moving, null);
                _movingSource = movingImage;
            }

            movingMaps = _movingMaps;
            toGrid = PhysicalToIndex(movingImage);
            gridOffset = MatrixMath.Apply(toGrid, [.. movingImage.Geometry.Origin.Take(d).Select(v => -v)], d);
        }

        FeatureMapComputations++;
        var (fixedValues, fixedSize) = ChannelsFirst(_fixedMaps, d, level.SmoothingSigma);
        var (movingValues, movingSize) = ChannelsFirst(movingMaps, d, level.SmoothingSigma);
        _prepared?.Dispose();
        _prepared = new Prepared(fixedValues, fixedSize, movingValues, movingSize, [.. toGrid.Select(v => (float)v)], [.. gridOffset.Select(v => (float)v)], _fixedMaps.Margin);
        _level = level;
        return _prepared;
    }

    /// <summary>A channels-last map as a channels-first [1, C, (Z,) H, W] tensor outside every dispose scope, smoothed by sigma voxels; its size (x, y[, z]).</summary>
    private static (Tensor Values, int[] Size) ChannelsFirst(FeatureMaps maps, int d, double sigma)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = maps.Channels;
        long[] spatial = d == 2 ? [maps.SizeY, maps.SizeX] : [maps.SizeZ, maps.SizeY, maps.SizeX];
        // Channels last: the dimensions innermost first are (C, X, Y[, Z]); smooth the spatial axes.
        int[] dims = d == 2 ? [c, maps.SizeX, maps.SizeY] : [c, maps.SizeX, maps.SizeY, maps.SizeZ];
        var values = sigma > 0 ? GaussianSmoothing.Smooth(maps.Values, dims, Enumerable.Range(1, d).ToArray(), sigma).Values : maps.Values;
        var t = TorchTraining.FromArray(values, [.. spatial, c]);
        t = d == 2 ? t.permute(2, 0, 1) : t.permute(3, 0, 1, 2);
        long[] shape = [1, c, .. spatial];
        int[] size = d == 2 ? [maps.SizeX, maps.SizeY] : [maps.SizeX, maps.SizeY, maps.SizeZ];
        var result = t.reshape(shape).contiguous().clone();
        result.DetachFromDisposeScope();
        return (result, size);
    }

    /// <summary>(Direction x diag(spacing))^-1 of an image: physical offset to continuous index.</summary>
    private static double[] PhysicalToIndex(MedicalImage image)
    {
        var d = image.Dimension;
        var m = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                m[(i * d) + j] = image.Geometry.Direction[(i * 3) + j] * image.Geometry.Spacing[j];
            }
        }

        return MatrixMath.Invert(m, d);
    }

    /// <summary>A level's maps as tensors outside every dispose scope (they serve every iteration of the level); disposed when the next level is prepared.</summary>
    private sealed record Prepared(Tensor Fixed, int[] FixedSize, Tensor Moving, int[] MovingSize, float[] ToGrid, float[] GridOffset, int Margin) : IDisposable
    {
        public void Dispose()
        {
            Fixed.Dispose();
            Moving.Dispose();
        }
    }
}
