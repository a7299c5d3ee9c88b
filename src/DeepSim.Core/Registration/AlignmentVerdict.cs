using DeepSim.Imaging;

namespace DeepSim.Registration;

/// <summary>
/// Whether a fixed/moving pair is aligned: the misalignment a rigid registration finds, a confidence, and the verdict
/// against a tolerance. Property names are stable (Pester's <c>Should -BeAlignedWith</c> builds on them).
/// </summary>
public sealed class AlignmentVerdict
{
    /// <summary>Creates a verdict.</summary>
    public AlignmentVerdict(
        string fixedName,
        string movingName,
        string metric,
        double toleranceMm,
        double[] translation,
        double rotationDegrees,
        double maxDisplacementMm,
        double confidence,
        IImageTransform transform,
        RegistrationResult registration)
    {
        FixedName = fixedName;
        MovingName = movingName;
        Metric = metric;
        ToleranceMm = toleranceMm;
        Translation = translation;
        RotationDegrees = rotationDegrees;
        MaxDisplacementMm = maxDisplacementMm;
        Confidence = confidence;
        Transform = transform;
        Registration = registration;
    }

    /// <summary>True when <see cref="MaxDisplacementMm"/> is within <see cref="ToleranceMm"/>.</summary>
    public bool Aligned => MaxDisplacementMm <= ToleranceMm;

    /// <summary>Length of <see cref="Translation"/> in mm.</summary>
    public double TranslationMm => Math.Sqrt(Translation.Sum(v => v * v));

    /// <summary>Displacement of the fixed image's centre, T(c) - c, per axis in mm.</summary>
    public double[] Translation { get; }

    /// <summary>The rotation angle in degrees (3D: the axis-angle magnitude; 2D: signed).</summary>
    public double RotationDegrees { get; }

    /// <summary>The largest displacement |T(x) - x| over the corners of the fixed image's foreground bounding box, in mm.</summary>
    public double MaxDisplacementMm { get; }

    /// <summary>
    /// 0..1: how reproducible the estimate is. A second registration starts 2 x tolerance (at least 2 voxels) away; the
    /// confidence is exp(-d / tolerance) x overlap, d the largest disagreement (mm) of the two estimates over the foreground.
    /// </summary>
    public double Confidence { get; }

    /// <summary>The metric used.</summary>
    public string Metric { get; }

    /// <summary>The tolerance in mm.</summary>
    public double ToleranceMm { get; }

    /// <summary>The fixed image's name.</summary>
    public string FixedName { get; }

    /// <summary>The moving image's name.</summary>
    public string MovingName { get; }

    /// <summary>The estimated rigid transform (fixed to moving).</summary>
    public IImageTransform Transform { get; }

    /// <summary>The registration behind the estimate.</summary>
    public RegistrationResult Registration { get; }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{(Aligned ? "aligned" : "misaligned")}: {MaxDisplacementMm:F2} mm (tolerance {ToleranceMm} mm) by {Metric}");
}

/// <summary>Alignment checks of image pairs (archive QA): a rigid registration turned into a verdict.</summary>
public static class AlignmentCheck
{
    /// <summary>
    /// Estimates the rigid misalignment of <paramref name="movingImage"/> relative to <paramref name="fixedImage"/> in
    /// their physical frames (no centre initialisation: a pair stored aligned has the identity) and judges it against
    /// <paramref name="toleranceMm"/>.
    /// </summary>
    public static AlignmentVerdict Test(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IRegistrationMetric metric,
        double toleranceMm,
        RegistrationOptions? options = null,
        IProgress<RegistrationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fixedImage);
        ArgumentNullException.ThrowIfNull(movingImage);
        ArgumentNullException.ThrowIfNull(metric);
        if (!(toleranceMm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(toleranceMm), toleranceMm, "The tolerance must be positive (mm).");
        }

        var o = (options ?? new RegistrationOptions()) with { Transform = RegistrationTransformKind.Rigid, Initialization = RegistrationInitialization.None };
        var half = new Progress2(progress, 0);
        var first = ImageRegistration.Register(fixedImage, movingImage, metric, o, half, cancellationToken);
        var d = fixedImage.Dimension;
        var step = Math.Max(2 * toleranceMm, 2 * fixedImage.Spacing.Take(d).Max()) / Math.Sqrt(d);
        var second = ImageRegistration.Register(fixedImage, movingImage, metric, o with { InitialOffsetMm = Enumerable.Repeat(step, d).ToArray(), Seed = o.Seed + 1 }, new Progress2(progress, 1), cancellationToken);
        var corners = ForegroundCorners(fixedImage);
        var transform = (LinearTransform)first.Transform;
        var max = corners.Max(p => Distance(transform.TransformPoint(p), p));
        var disagreement = corners.Max(p => Distance(transform.TransformPoint(p), second.Transform.TransformPoint(p)));
        var confidence = Math.Exp(-disagreement / toleranceMm) * first.OverlapFraction;
        var c = ImageRegistration.Center(fixedImage);
        var tc = transform.TransformPoint(c);
        var translation = tc.Zip(c, (a, b) => a - b).ToArray();
        var rotation = Euler3DTransform.RotationAngleDegrees(transform.Matrix, d);
        return new AlignmentVerdict(fixedImage.Name, movingImage.Name, metric.Name, toleranceMm, translation, rotation, max, confidence, transform, first);
    }

    /// <summary>The 2^D corners of the bounding box of the voxels brighter than the image's mean (the whole image if none).</summary>
    public static IReadOnlyList<double[]> ForegroundCorners(MedicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var v = image.VoxelSpan;
        double mean = 0;
        foreach (var x in v)
        {
            mean += x;
        }

        mean /= v.Length;
        int x0 = int.MaxValue, y0 = int.MaxValue, z0 = int.MaxValue, x1 = -1, y1 = -1, z1 = -1;
        var i = 0;
        for (var z = 0; z < image.SizeZ; z++)
        {
            for (var y = 0; y < image.SizeY; y++)
            {
                for (var x = 0; x < image.SizeX; x++, i++)
                {
                    if (v[i] > mean)
                    {
                        (x0, y0, z0) = (Math.Min(x0, x), Math.Min(y0, y), Math.Min(z0, z));
                        (x1, y1, z1) = (Math.Max(x1, x), Math.Max(y1, y), Math.Max(z1, z));
                    }
                }
            }
        }

        if (x1 < 0)
        {
            (x0, y0, z0, x1, y1, z1) = (0, 0, 0, image.SizeX - 1, image.SizeY - 1, image.SizeZ - 1);
        }

        var d = image.Dimension;
        var list = new List<double[]>();
        foreach (var z in d == 3 ? new[] { z0, z1 } : [0])
        {
            foreach (var y in new[] { y0, y1 })
            {
                foreach (var x in new[] { x0, x1 })
                {
                    list.Add(image.Geometry.IndexToPhysical(x, y, z)[..d]);
                }
            }
        }

        return list;
    }

    private static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    /// <summary>Maps the progress of one of the two registrations onto the whole check.</summary>
    private sealed class Progress2(IProgress<RegistrationProgress>? inner, int part) : IProgress<RegistrationProgress>
    {
        public void Report(RegistrationProgress value) => inner?.Report(value with { Fraction = (part + value.Fraction) / 2 });
    }
}
