using System.Diagnostics;
using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepSim.Registration;

/// <summary>
/// Intensity-based registration of a moving image to a fixed one, 2D or 3D, with any <see cref="IRegistrationMetric"/>:
/// a Gaussian pyramid (shrink and smoothing per level), the metric sampled per iteration (random, grid or full),
/// gradients by TorchSharp autograd through bilinear/trilinear <c>grid_sample</c>, and Adam with a step that decays
/// exponentially over each level. The transform maps fixed physical points into the moving image (ITK's convention);
/// rotations and affine matrices act about the fixed image's centre.
/// </summary>
public static class ImageRegistration
{
    /// <summary>Registers <paramref name="movingImage"/> to <paramref name="fixedImage"/>.</summary>
    /// <exception cref="RegistrationException">Images of different dimension, a bad mask, a patch metric that does not fit, or a transform that leaves the moving image.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (checked between iterations).</exception>
    public static RegistrationResult Register(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IRegistrationMetric metric,
        RegistrationOptions? options = null,
        IProgress<RegistrationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fixedImage);
        ArgumentNullException.ThrowIfNull(movingImage);
        ArgumentNullException.ThrowIfNull(metric);
        var o = options ?? new RegistrationOptions();
        o.Validate();
        var d = fixedImage.Dimension;
        if (movingImage.Dimension != d)
        {
            throw new RegistrationException(RegistrationError.DimensionMismatch, $"The fixed image '{fixedImage.Name}' is {d}D ({string.Join("x", fixedImage.Size)}) but the moving image '{movingImage.Name}' is {movingImage.Dimension}D ({string.Join("x", movingImage.Size)}); register images of the same dimension (use GetSlice for a slice of a volume).");
        }

        CheckMask(o.FixedMask, fixedImage, "fixed");
        CheckMask(o.MovingMask, movingImage, "moving");
        CheckFits(metric, fixedImage, movingImage, o);

        TorchRuntime.EnsureInitialized();
        var clock = Stopwatch.StartNew();
        var center = Center(fixedImage);
        var t0 = InitialTranslation(fixedImage, movingImage, o, center);
        var radius = Math.Max(1.0, HalfDiagonal(fixedImage) / 2);
        var random = new Random(o.Seed);
        var trace = new List<RegistrationIteration>();
        var totalIterations = Enumerable.Range(0, o.ShrinkFactors.Count).Sum(o.IterationsOf);
        var done = 0;

        using var scope = NewDisposeScope();
        TransformModel model = o.Transform switch
        {
            RegistrationTransformKind.Translation => new TranslationModel(d, t0),
            RegistrationTransformKind.Rigid => new RigidModel(d, t0, radius),
            RegistrationTransformKind.Affine => new AffineModel(d, t0, radius),
            _ => new BSplineModel(d, t0, BSplineTransform.ForImage(fixedImage, o.GridSpacingMm * o.GridSpacingMultipleOf(0)), center),
        };
        var parameters = model.Parameters;
        if (o.RotationSearchDegrees > 0 && d == 2 && model.SetRotation2D(0))
        {
            SearchRotation(fixedImage, movingImage, metric, o, center, model, cancellationToken);
        }

        var optimizer = new StepRule(o.OptimizerInUse, parameters);
        for (var levelIndex = 0; levelIndex < o.ShrinkFactors.Count; levelIndex++)
        {
            if (model is BSplineModel spline && levelIndex > 0 && RefineGrid(spline, o.GridSpacingMm * o.GridSpacingMultipleOf(levelIndex)))
            {
                // New coefficient tensors: the optimiser starts afresh on them (in the outer scope, so they live on).
                parameters = model.Parameters;
                optimizer.Dispose();
                optimizer = new StepRule(o.OptimizerInUse, parameters);
            }

            using var levelScope = NewDisposeScope();
            using var level = BuildLevel(levelIndex, fixedImage, movingImage, o, center, model, random);
            var iterations = o.IterationsOf(levelIndex);
            var voxel = level.Spacing.Average();
            for (var it = 0; it < iterations; it++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var iterationScope = NewDisposeScope();
                var lr = o.LearningRateInUse * voxel * Math.Pow(o.FinalLearningRateFractionFor(d), iterations > 1 ? (double)it / (iterations - 1) : 1);
                var cost = metric.Cost(level);
                if (level.LastValidFraction < o.MinimumOverlap)
                {
                    throw new RegistrationException(RegistrationError.TransformLeavesImage, $"The transform maps {level.LastValidFraction:P0} of the samples into the moving image (minimum {o.MinimumOverlap:P0}) at pyramid level {levelIndex}, iteration {it}: the images do not overlap enough. Check the images' origins and orientation, or start closer (-Initialization Moments).");
                }

                var value = cost.item<float>();
                if (!float.IsFinite(value))
                {
                    throw new RegistrationException(RegistrationError.TransformLeavesImage, $"The metric became {value} at pyramid level {levelIndex}, iteration {it}; the samples probably left the moving image.");
                }

                var total = cost;
                if (model.Penalty() is { } penalty && o.BendingEnergyWeight > 0)
                {
                    using var weight = o.BendingEnergyWeight.ToScalar();
                    total = cost.add(penalty.mul(weight), HeldScalars.One);
                }

                var grads = autograd.grad([total], [.. parameters], allow_unused: true);
                optimizer.Step(grads, lr);

                trace.Add(new RegistrationIteration(levelIndex, it, value, lr / voxel));
                done++;
                progress?.Report(new RegistrationProgress(levelIndex, o.ShrinkFactors.Count, it, iterations, value, (double)done / Math.Max(1, totalIterations)));
            }
        }

        optimizer.Dispose();
        var transform = model.ToTransform(center);
        var (overlap, minJacobian, folded) = Check(transform, fixedImage, movingImage, o);
        clock.Stop();
        var warnings = new List<string>();
        if (minJacobian is double j && j <= 0)
        {
            warnings.Add($"The B-spline deformation folds: the Jacobian determinant is <= 0 on {folded:P2} of the fixed image (minimum {j:G3}). Increase -BendingEnergyWeight or -GridSpacing.");
        }

        if (overlap < 0.5)
        {
            warnings.Add($"Only {overlap:P0} of the fixed image maps inside the moving image.");
        }

        return new RegistrationResult(transform, o.Transform, metric.Name, trace, clock.Elapsed, o.ShrinkFactors.Count, overlap, fixedImage.Name, movingImage.Name, minJacobian, folded, warnings);
    }

    /// <summary>Refines the B-spline grid (halving its spacing) until it reaches <paramref name="spacingMm"/>; true if it changed.</summary>
    private static bool RefineGrid(BSplineModel spline, double spacingMm)
    {
        var changed = false;
        while (spline.Grid.GridSpacing.Max() > spacingMm * 1.5)
        {
            spline.Refine();
            changed = true;
        }

        return changed;
    }

    /// <summary>
    /// Evaluates the metric at the coarsest level, on every voxel (a fresh generator per angle, so that patch metrics see
    /// the same patches), for rotations in +-RotationSearchDegrees, and leaves the model at the best one.
    /// </summary>
    private static void SearchRotation(MedicalImage fixedImage, MedicalImage movingImage, IRegistrationMetric metric, RegistrationOptions o, double[] center, TransformModel model, CancellationToken cancellationToken)
    {
        var search = o with { Sampling = RegistrationSampling.Full, FinestLevelSampling = null };
        var steps = (int)Math.Floor((o.RotationSearchDegrees / o.RotationSearchStepDegrees) + 1e-9);
        var best = 0.0;
        var bestCost = double.PositiveInfinity;
        using var scope = NewDisposeScope();
        for (var k = -steps; k <= steps; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var angle = k * o.RotationSearchStepDegrees * Math.PI / 180;
            model.SetRotation2D(angle);
            using var evalScope = NewDisposeScope();
            using var noGrad = no_grad();
            using var level = BuildLevel(0, fixedImage, movingImage, search, center, model, new Random(o.Seed));
            var cost = metric.Cost(level).item<float>();
            // On a tie the smaller rotation wins.
            if (float.IsFinite(cost) && level.LastValidFraction >= o.MinimumOverlap && (cost < bestCost - 1e-6 || (Math.Abs(cost - bestCost) <= 1e-6 && Math.Abs(angle) < Math.Abs(best))))
            {
                bestCost = cost;
                best = angle;
            }
        }

        model.SetRotation2D(best);
    }

    /// <summary>The physical centre of an image's field of view (first D coordinates).</summary>
    public static double[] Center(MedicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var p = image.Geometry.IndexToPhysical((image.SizeX - 1) / 2.0, (image.SizeY - 1) / 2.0, (image.SizeZ - 1) / 2.0);
        return p[..image.Dimension];
    }

    /// <summary>The intensity-weighted centre of mass (weights: value minus the image's minimum), first D coordinates.</summary>
    public static double[] CenterOfMass(MedicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (min, _) = image.GetRange();
        double sw = 0, sx = 0, sy = 0, sz = 0;
        var v = image.VoxelSpan;
        var i = 0;
        for (var z = 0; z < image.SizeZ; z++)
        {
            for (var y = 0; y < image.SizeY; y++)
            {
                for (var x = 0; x < image.SizeX; x++, i++)
                {
                    double w = v[i] - min;
                    sw += w;
                    sx += w * x;
                    sy += w * y;
                    sz += w * z;
                }
            }
        }

        if (sw <= 0)
        {
            return Center(image);
        }

        return image.Geometry.IndexToPhysical(sx / sw, sy / sw, sz / sw)[..image.Dimension];
    }

    private static double HalfDiagonal(MedicalImage image)
    {
        var s = 0.0;
        for (var a = 0; a < image.Dimension; a++)
        {
            var e = (image.Size[a] - 1) * image.Geometry.Spacing[a];
            s += e * e;
        }

        return Math.Sqrt(s) / 2;
    }

    private static double[] InitialTranslation(MedicalImage fixedImage, MedicalImage movingImage, RegistrationOptions o, double[] center)
    {
        var d = fixedImage.Dimension;
        var t = o.Initialization switch
        {
            RegistrationInitialization.Geometry => Subtract(Center(movingImage), center),
            RegistrationInitialization.Moments => Subtract(CenterOfMass(movingImage), CenterOfMass(fixedImage)),
            _ => new double[d],
        };
        if (o.InitialOffsetMm is { } offset)
        {
            if (offset.Count != d)
            {
                throw new ArgumentException($"InitialOffsetMm needs {d} values for {d}D images, got {offset.Count}.");
            }

            for (var i = 0; i < d; i++)
            {
                t[i] += offset[i];
            }
        }

        return t;
    }

    private static double[] Subtract(double[] a, double[] b) => [.. a.Zip(b, (x, y) => x - y)];

    private static void CheckMask(MedicalImage? mask, MedicalImage image, string which)
    {
        if (mask is null)
        {
            return;
        }

        if (mask.SizeX != image.SizeX || mask.SizeY != image.SizeY || mask.SizeZ != image.SizeZ)
        {
            throw new RegistrationException(RegistrationError.InvalidMask, $"The {which} mask '{mask.Name}' is {string.Join("x", mask.Size)} but the {which} image '{image.Name}' is {string.Join("x", image.Size)}; a mask must be on its image's grid.");
        }

        foreach (var v in mask.VoxelSpan)
        {
            if (v != 0)
            {
                return;
            }
        }

        throw new RegistrationException(RegistrationError.InvalidMask, $"The {which} mask '{mask.Name}' is empty (every voxel is 0).");
    }

    private static void CheckFits(IRegistrationMetric metric, MedicalImage fixedImage, MedicalImage movingImage, RegistrationOptions o)
    {
        if (metric is FeatureRegistrationMetric features)
        {
            features.CheckImages(fixedImage, movingImage);
        }

        if (metric.PatchSize is not int p)
        {
            return;
        }

        var coarsest = o.ShrinkFactors.Max();
        var sx = LevelSize(fixedImage.SizeX, coarsest);
        var sy = LevelSize(fixedImage.SizeY, coarsest);
        if (p > sx || p > sy)
        {
            throw new RegistrationException(RegistrationError.PatchSizeTooLarge, $"Metric '{metric.Name}' compares {p}x{p} patches, but the coarsest pyramid level (shrink {coarsest}) of '{fixedImage.Name}' is only {sx}x{sy} voxels; use smaller shrink factors (e.g. -ShrinkFactors 2, 1).");
        }
    }

    private static int LevelSize(int size, int factor) => ((size - 1) / factor) + 1;

    internal static RegistrationLevel BuildLevel(int index, MedicalImage fixedImage, MedicalImage movingImage, RegistrationOptions o, double[] center, TransformModel model, Random random)
    {
        var d = fixedImage.Dimension;
        var factor = o.ShrinkFactors[index];
        var sigma = o.SigmaOf(index);
        var (fixedTensor, fixedSize, fixedSpacing) = Pyramid(fixedImage, factor, sigma);
        var (movingTensor, movingSize, movingSpacing) = Pyramid(movingImage, factor, sigma);
        var fixedMask = MaskVoxels(o.FixedMask, fixedImage, factor, fixedSize);
        if (fixedMask.Length == 0)
        {
            throw new RegistrationException(RegistrationError.InvalidMask, $"The fixed mask selects no voxel at pyramid level {index} (shrink {factor}).");
        }

        Tensor? movingMask = null;
        if (o.MovingMask is not null)
        {
            var flat = MaskVoxels(o.MovingMask, movingImage, factor, movingSize);
            var m = new float[movingSize.Aggregate(1, (a, b) => a * b)];
            foreach (var v in flat)
            {
                m[v] = 1;
            }

            using var mt = tensor(m, movingTensor.shape);
            movingMask = mt.clone();
        }

        var fixedToPhysical = IndexToPhysical(fixedImage, fixedSpacing);
        var fixedOrigin = new float[d];
        var movingToPhysical = IndexToPhysical(movingImage, movingSpacing);
        var physicalToMoving = MatrixMath.Invert(movingToPhysical, d);
        var movingOrigin = new float[d];
        for (var i = 0; i < d; i++)
        {
            fixedOrigin[i] = (float)(fixedImage.Geometry.Origin[i] - center[i]);
            double s = 0;
            for (var j = 0; j < d; j++)
            {
                s += physicalToMoving[(i * d) + j] * (center[j] - movingImage.Geometry.Origin[j]);
            }

            movingOrigin[i] = (float)s;
        }

        var fr = fixedImage.GetRange();
        var mr = movingImage.GetRange();
        var source = new LevelSource(fixedImage, movingImage, factor, sigma, model.ToTransform(center), Float(center, d));
        return new RegistrationLevel(
            index, d, fixedSize, fixedSpacing, fixedTensor, movingTensor, movingSize, movingMask, fixedMask,
            Float(physicalToMoving, d, d), Float(movingOrigin, d),
            fixedToPhysical, [.. fixedOrigin.Select(v => (double)v)], model, random, o, fr, mr, source);
    }

    private static Tensor Float(double[] values, params long[] shape)
    {
        using var t = tensor(values.Select(v => (float)v).ToArray(), shape);
        return t.clone();
    }

    private static Tensor Float(float[] values, params long[] shape)
    {
        using var t = tensor(values, shape);
        return t.clone();
    }

    /// <summary>Direction (D x D) times diag(spacing): continuous index -> physical offset.</summary>
    private static double[] IndexToPhysical(MedicalImage image, double[] spacing)
    {
        var d = image.Dimension;
        var m = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                m[(i * d) + j] = image.Geometry.Direction[(i * 3) + j] * spacing[j];
            }
        }

        return m;
    }

    /// <summary>The smoothed, subsampled image of a level: tensor [1, 1, (Z,) H, W], size and spacing (x, y[, z]).</summary>
    private static (Tensor Image, int[] Size, double[] Spacing) Pyramid(MedicalImage image, int factor, double sigma)
    {
        var d = image.Dimension;
        Tensor t;
        if (d == 2)
        {
            // 2D keeps libtorch's conv2d: with the C# smoothing's levels (equal within 2e-6) the later 2D MI iterations
            // ran about twice as slow on this machine, for a reason not found (measured back to back, idle, fifth
            // session: 3.3-4.5 s against 1.3-2.3 s per case-2 registration); in 3D the C# smoothing saves far more
            // than that (conv3d took ~1 s per volume and level).
            long[] shape2 = [1, 1, image.SizeY, image.SizeX];
            using var raw = tensor(image.GetVoxels(), shape2);
            t = raw.clone();
            if (sigma > 0)
            {
                t = SmoothTorch2D(t, sigma);
            }

            if (factor > 1)
            {
                t = t[.., .., TensorIndex.Slice(null, null, factor), TensorIndex.Slice(null, null, factor)].contiguous();
            }
        }
        else
        {
            int[] dims = [image.SizeX, image.SizeY, image.SizeZ];
            var (values, levelDims) = GaussianSmoothing.Smooth(image.GetVoxels(), dims, Enumerable.Range(0, d).ToArray(), sigma, factor);
            long[] shape = [1, 1, levelDims[2], levelDims[1], levelDims[0]];
            t = TorchTraining.FromArray(values, shape);
        }

        var size = new int[d];
        var spacing = new double[d];
        for (var a = 0; a < d; a++)
        {
            size[a] = LevelSize(image.Size[a], factor);
            spacing[a] = image.Geometry.Spacing[a] * factor;
        }

        return (t, size, spacing);
    }

    /// <summary>Separable Gaussian smoothing of a [1, 1, H, W] image by libtorch's conv2d, normalised at the borders (the convolution of ones).</summary>
    private static Tensor SmoothTorch2D(Tensor image, double sigma)
    {
        var r = GaussianSmoothing.Radius(sigma);
        var k = GaussianSmoothing.Kernel(sigma);
        using var kernel = tensor(k);
        var ones = ones_like(image);
        Tensor Pass(Tensor x)
        {
            x = nn.functional.conv2d(x, kernel.view(1, 1, 1, k.Length), padding: [0, r]);
            return nn.functional.conv2d(x, kernel.view(1, 1, k.Length, 1), padding: [r, 0]);
        }

        return Pass(image).div(Pass(ones));
    }

    /// <summary>Flat indices (level grid) of the voxels where the mask is non-zero, or every voxel without a mask.</summary>
    private static int[] MaskVoxels(MedicalImage? mask, MedicalImage image, int factor, int[] size)
    {
        var d = image.Dimension;
        var sz = d == 3 ? size[2] : 1;
        var list = new List<int>(size[0] * size[1] * sz);
        for (var z = 0; z < sz; z++)
        {
            for (var y = 0; y < size[1]; y++)
            {
                for (var x = 0; x < size[0]; x++)
                {
                    var flat = x + (size[0] * (y + (size[1] * z)));
                    if (mask is null)
                    {
                        list.Add(flat);
                        continue;
                    }

                    var zz = d == 3 ? z * factor : 0;
                    if (mask[x * factor, y * factor, zz] != 0)
                    {
                        list.Add(flat);
                    }
                }
            }
        }

        return [.. list];
    }

    /// <summary>Overlap (fixed voxels mapped inside the moving image) and, for deformations, the Jacobian check.</summary>
    private static (double Overlap, double? MinJacobian, double Folded) Check(IImageTransform transform, MedicalImage fixedImage, MedicalImage movingImage, RegistrationOptions o)
    {
        var d = fixedImage.Dimension;
        var total = fixedImage.VoxelCount;
        var stride = Math.Max(1, (int)Math.Ceiling(Math.Pow(total / 40000.0, 1.0 / d)));
        var dirM = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                dirM[(i * d) + j] = movingImage.Geometry.Direction[(i * 3) + j] * movingImage.Geometry.Spacing[j];
            }
        }

        var toMoving = MatrixMath.Invert(dirM, d);
        var spline = transform as BSplineTransform ?? (transform as CompositeTransform)?.Transforms.OfType<BSplineTransform>().FirstOrDefault();
        long inside = 0, count = 0, folded = 0;
        var minJ = double.PositiveInfinity;
        for (var z = 0; z < fixedImage.SizeZ; z += d == 3 ? stride : 1)
        {
            for (var y = 0; y < fixedImage.SizeY; y += stride)
            {
                for (var x = 0; x < fixedImage.SizeX; x += stride)
                {
                    if (o.FixedMask is not null && o.FixedMask[x, y, z] == 0)
                    {
                        continue;
                    }

                    var p = fixedImage.Geometry.IndexToPhysical(x, y, z)[..d];
                    var q = transform.TransformPoint(p);
                    count++;
                    var ok = true;
                    for (var i = 0; i < d && ok; i++)
                    {
                        double s = 0;
                        for (var j = 0; j < d; j++)
                        {
                            s += toMoving[(i * d) + j] * (q[j] - movingImage.Geometry.Origin[j]);
                        }

                        ok = s >= -0.5 && s <= movingImage.Size[i] - 0.5;
                    }

                    if (ok)
                    {
                        inside++;
                    }

                    if (spline is not null)
                    {
                        var jd = spline.JacobianDeterminant(p);
                        minJ = Math.Min(minJ, jd);
                        if (jd <= 0)
                        {
                            folded++;
                        }
                    }
                }
            }
        }

        var overlap = count == 0 ? 0 : (double)inside / count;
        return spline is null ? (overlap, null, 0) : (overlap, minJ, count == 0 ? 0 : (double)folded / count);
    }
}
