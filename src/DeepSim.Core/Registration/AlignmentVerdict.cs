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
        RegistrationResult registration,
        IReadOnlyList<string>? warnings = null,
        IReadOnlyList<double>? restartDisagreementsMm = null)
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
        Warnings = warnings ?? [];
        RestartDisagreementsMm = restartDisagreementsMm ?? [];
    }

    /// <summary>True when <see cref="MaxDisplacementMm"/> is within <see cref="ToleranceMm"/>.</summary>
    public bool Aligned => MaxDisplacementMm <= ToleranceMm;

    /// <summary>Length of <see cref="Translation"/> in mm.</summary>
    public double TranslationMm => Math.Sqrt(Translation.Sum(v => v * v));

    /// <summary>Displacement of the fixed image's centre, T(c) - c, per axis in mm.</summary>
    public double[] Translation { get; }

    /// <summary>The rotation angle in degrees (3D: the axis-angle magnitude; 2D: signed).</summary>
    public double RotationDegrees { get; }

    /// <summary>The largest displacement |T(x) - x| over the fixed image's foreground (voxels brighter than its mean), in mm.</summary>
    public double MaxDisplacementMm { get; }

    /// <summary>
    /// 0..1: how reproducible the estimate is. The registration is run from several starts (the identity, and 2 x
    /// tolerance, at least 2 voxels, away in opposite directions, each with its own sampling seed); the estimate is the
    /// one that agrees best with the others, and the confidence is exp(-d / tolerance) x overlap, d the median over the
    /// starts of their largest disagreement (mm, over the foreground) with the estimate: one start that failed does not
    /// lower it, two that disagree do. For metrics that assume a linear intensity relation (NCC, LCC, MSE) it is further
    /// multiplied by the squared correlation of the two images at the estimate (with a warning in <see cref="Warnings"/> below 0.5).
    /// </summary>
    public double Confidence { get; }

    /// <summary>For each start of the registration, its largest disagreement (mm, over the foreground) with the estimate.</summary>
    public IReadOnlyList<double> RestartDisagreementsMm { get; }

    /// <summary>What limits this verdict, e.g. a metric that does not suit the pair; empty when nothing does.</summary>
    public IReadOnlyList<string> Warnings { get; }

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
    /// <summary>Starts of the registration behind a verdict: the identity and two opposite offsets.</summary>
    public const int DefaultRestarts = 3;

    /// <summary>
    /// Estimates the rigid misalignment of <paramref name="movingImage"/> relative to <paramref name="fixedImage"/> in
    /// their physical frames (no centre initialisation: a pair stored aligned has the identity) and judges it against
    /// <paramref name="toleranceMm"/>. The registration runs from <paramref name="restarts"/> starts (see
    /// <see cref="AlignmentVerdict.Confidence"/>): a single stochastic registration of a CT/MR slice pair lands
    /// 1-6 mm from where another seed lands on some pairs, and the consensus of three removes such outliers.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The tolerance is not positive or fewer than 1 restart is asked for.</exception>
    public static AlignmentVerdict Test(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IRegistrationMetric metric,
        double toleranceMm,
        RegistrationOptions? options = null,
        IProgress<RegistrationProgress>? progress = null,
        CancellationToken cancellationToken = default,
        int restarts = DefaultRestarts)
    {
        ArgumentNullException.ThrowIfNull(fixedImage);
        ArgumentNullException.ThrowIfNull(movingImage);
        ArgumentNullException.ThrowIfNull(metric);
        if (!(toleranceMm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(toleranceMm), toleranceMm, "The tolerance must be positive (mm).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(restarts, 1);
        var o = (options ?? new RegistrationOptions()) with { Transform = RegistrationTransformKind.Rigid, Initialization = RegistrationInitialization.None };
        var d = fixedImage.Dimension;
        var step = Math.Max(2 * toleranceMm, 2 * fixedImage.Spacing.Take(d).Max()) / Math.Sqrt(d);
        var runs = new List<RegistrationResult>(restarts);
        for (var k = 0; k < restarts; k++)
        {
            // Start k: the identity, then +step, -step, +2 step ... on every axis; each with its own seed.
            var sign = k % 2 == 1 ? 1 : -1;
            var offset = k == 0 ? null : Enumerable.Repeat(sign * step * ((k + 1) / 2), d).ToArray();
            var run = ImageRegistration.Register(fixedImage, movingImage, metric, o with { InitialOffsetMm = offset, Seed = o.Seed + k }, new PartProgress(progress, k, restarts), cancellationToken);
            runs.Add(run);
        }

        var foreground = ForegroundExtremes(fixedImage);
        var transforms = runs.Select(r => (LinearTransform)r.Transform).ToList();

        // The medoid: the start whose largest disagreements with the others sum least.
        var disagreement = new double[restarts, restarts];
        for (var i = 0; i < restarts; i++)
        {
            for (var j = i + 1; j < restarts; j++)
            {
                disagreement[i, j] = disagreement[j, i] = foreground.Max(p => Distance(transforms[i].TransformPoint(p), transforms[j].TransformPoint(p)));
            }
        }

        var best = Enumerable.Range(0, restarts).MinBy(i => Enumerable.Range(0, restarts).Sum(j => disagreement[i, j]));
        var transform = transforms[best];
        var toBest = Enumerable.Range(0, restarts).Select(j => disagreement[best, j]).ToArray();
        var others = toBest.Where((_, j) => j != best).Order().ToArray();
        var spread = others.Length == 0 ? 0 : others[(others.Length - 1) / 2];
        var confidence = Math.Exp(-spread / toleranceMm) * runs[best].OverlapFraction;
        var warnings = new List<string>();
        if (metric.Name is "NCC" or "LCC" or "MSE")
        {
            var r = Correlation(fixedImage, movingImage, transform, cancellationToken);
            confidence *= r * r;
            if (r * r < 0.5)
            {
                warnings.Add(FormattableString.Invariant(
                    $"{metric.Name} assumes a linear relation between the two images' intensities (the same modality), but at the estimate their correlation is {r:F2}: a linear relation explains {100 * r * r:F0} % of the variance, and the confidence is scaled by that. For CT/MR and other multimodal pairs use MI or NMI."));
            }
        }

        var max = foreground.Max(p => Distance(transform.TransformPoint(p), p));
        var c = ImageRegistration.Center(fixedImage);
        var tc = transform.TransformPoint(c);
        var translation = tc.Zip(c, (a, b) => a - b).ToArray();
        var rotation = Euler3DTransform.RotationAngleDegrees(transform.Matrix, d);
        return new AlignmentVerdict(fixedImage.Name, movingImage.Name, metric.Name, toleranceMm, translation, rotation, max, confidence, transform, runs[best], warnings, toBest);
    }

    /// <summary>
    /// Physical points of the fixed image's foreground (voxels brighter than the image's mean; the whole image if none)
    /// whose largest rigid or affine displacement equals that over the whole foreground: the first and last foreground
    /// voxel of every row. |T(x) - x| is convex in x, so along a row it peaks at an end of the row's foreground.
    /// </summary>
    public static IReadOnlyList<double[]> ForegroundExtremes(MedicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var v = image.VoxelSpan;
        double mean = 0;
        foreach (var x in v)
        {
            mean += x;
        }

        mean /= v.Length;
        var d = image.Dimension;
        var list = new List<double[]>();
        for (var z = 0; z < image.SizeZ; z++)
        {
            for (var y = 0; y < image.SizeY; y++)
            {
                var row = v.Slice(((z * image.SizeY) + y) * image.SizeX, image.SizeX);
                int first = -1, last = -1;
                for (var x = 0; x < row.Length; x++)
                {
                    if (row[x] > mean)
                    {
                        first = first < 0 ? x : first;
                        last = x;
                    }
                }

                if (first >= 0)
                {
                    list.Add(image.Geometry.IndexToPhysical(first, y, z)[..d]);
                    if (last != first)
                    {
                        list.Add(image.Geometry.IndexToPhysical(last, y, z)[..d]);
                    }
                }
            }
        }

        return list.Count > 0 ? list : ForegroundCorners(image);
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

    /// <summary>Pearson correlation of the fixed image and the moving image resampled through <paramref name="transform"/>, over the fixed voxels that map inside the moving image.</summary>
    private static double Correlation(MedicalImage fixedImage, MedicalImage movingImage, IImageTransform transform, CancellationToken cancellationToken)
    {
        var resampled = ImageResampler.Resample(movingImage, transform, fixedImage, new ResampleOptions { DefaultValue = float.NaN }, null, cancellationToken);
        var f = fixedImage.VoxelSpan;
        var m = resampled.VoxelSpan;
        double n = 0, sf = 0, sm = 0, sff = 0, smm = 0, sfm = 0;
        for (var i = 0; i < f.Length; i++)
        {
            if (float.IsNaN(m[i]))
            {
                continue;
            }

            n++;
            sf += f[i];
            sm += m[i];
            sff += (double)f[i] * f[i];
            smm += (double)m[i] * m[i];
            sfm += (double)f[i] * m[i];
        }

        if (n < 2)
        {
            return 0;
        }

        var cov = sfm - (sf * sm / n);
        var vf = sff - (sf * sf / n);
        var vm = smm - (sm * sm / n);
        return vf > 0 && vm > 0 ? Math.Clamp(cov / Math.Sqrt(vf * vm), -1, 1) : 0;
    }

    private static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    /// <summary>Maps the progress of one of the registrations onto the whole check.</summary>
    private sealed class PartProgress(IProgress<RegistrationProgress>? inner, int part, int parts) : IProgress<RegistrationProgress>
    {
        public void Report(RegistrationProgress value) => inner?.Report(value with { Fraction = (part + value.Fraction) / parts });
    }
}
