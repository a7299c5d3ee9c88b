using System.Diagnostics.CodeAnalysis;
using DeepSim.Imaging;

namespace DeepSim.Registration;

/// <summary>The transform a registration optimises.</summary>
public enum RegistrationTransformKind
{
    /// <summary>Translation only (TranslationTransform).</summary>
    Translation = 0,

    /// <summary>Rotation and translation (Euler2DTransform / Euler3DTransform) about the fixed image's centre.</summary>
    Rigid = 1,

    /// <summary>Full affine (AffineTransform) about the fixed image's centre.</summary>
    Affine = 2,

    /// <summary>Cubic B-spline free-form deformation (BSplineTransform) with a control-point grid in mm.</summary>
    BSpline = 3,
}

/// <summary>Where the metric is evaluated in every iteration.</summary>
public enum RegistrationSampling
{
    /// <summary>A new random set of <see cref="RegistrationOptions.SampleCount"/> points (inside the fixed mask) every iteration, seeded.</summary>
    Random = 0,

    /// <summary>A regular grid of about <see cref="RegistrationOptions.SampleCount"/> voxel centres.</summary>
    Grid = 1,

    /// <summary>Every voxel of the level (inside the fixed mask).</summary>
    Full = 2,
}

/// <summary>How the transform starts.</summary>
public enum RegistrationInitialization
{
    /// <summary>Identity, except that the centres of the two images' fields of view are aligned (elastix's AutomaticTransformInitialization, GeometricalCenter).</summary>
    Geometry = 0,

    /// <summary>The intensity centres of mass of the two images are aligned (elastix's CenterOfGravity).</summary>
    Moments = 1,

    /// <summary>The identity transform.</summary>
    None = 2,
}

/// <summary>How the optimiser turns gradients into steps.</summary>
public enum RegistrationOptimizer
{
    /// <summary>Adam: every parameter's step is normalised by that parameter's own gradient history, so each moves by about the step size (suits the few, comparably scaled parameters of linear transforms).</summary>
    Adam = 0,

    /// <summary>
    /// Gradient descent with momentum whose step is normalised by one root-mean-square gradient over all the parameters
    /// of a tensor: the step keeps the gradient's direction, so a B-spline coefficient that the metric barely constrains
    /// moves little instead of as far as the best-constrained one (elastix's stochastic gradient descent scales its step
    /// the same way, by one scalar for all the parameters).
    /// </summary>
    NormalizedGradient = 1,
}

/// <summary>Settings of <see cref="ImageRegistration.Register"/>; every setting has a working default.</summary>
public sealed record RegistrationOptions
{
    /// <summary>The transform to optimise. Default Rigid.</summary>
    public RegistrationTransformKind Transform { get; init; } = RegistrationTransformKind.Rigid;

    private static readonly IReadOnlyList<int> DefaultShrinkFactors = [4, 2, 1];
    private static readonly IReadOnlyList<int> DefaultBSplineShrinkFactors = [2, 1];
    private readonly IReadOnlyList<int>? shrinkFactors;

    /// <summary>
    /// Pyramid shrink factor per level, coarse to fine; setting null restores the transform's default. Default 4, 2, 1;
    /// 2, 1 for B-spline (with the default grid schedule a 48 mm and a 24 mm grid: on CT/MR a 96 mm grid at a quarter of
    /// the resolution mostly fits modality differences, bench/registration/RESULTS.md, sixth session).
    /// </summary>
    [AllowNull]
    public IReadOnlyList<int> ShrinkFactors
    {
        get => shrinkFactors ?? (Transform == RegistrationTransformKind.BSpline ? DefaultBSplineShrinkFactors : DefaultShrinkFactors);
        init => shrinkFactors = value;
    }

    /// <summary>
    /// Gaussian smoothing sigma per level in voxels of the original image; null: half the shrink factor, 0.5 voxel at the
    /// finest level too (elastix's default schedule: the slight smoothing at full resolution removes the bilinear
    /// interpolation's pull towards whole-voxel shifts from the final estimate). Default null.
    /// </summary>
    public IReadOnlyList<double>? SmoothingSigmas { get; init; }

    /// <summary>Iterations per level (one value applies to every level); null: 120, 80, 150 for translation, rigid and affine (the longest at the finest level, where the step decays to settle on the optimum), 100 per level for B-spline (fewer than elastix's 250: on CT/MR more iterations of MI mostly add deformation the images do not support, bench/registration/RESULTS.md, sixth session). Default null.</summary>
    public IReadOnlyList<int>? Iterations { get; init; }

    /// <summary>
    /// The optimiser's initial step per iteration, in voxels of the level (for <see cref="RegistrationOptimizer.NormalizedGradient"/>
    /// the root-mean-square step of the parameters); null: 1 for translation, rigid and affine, 0.2 for B-spline. Default null.
    /// </summary>
    public double? LearningRate { get; init; }

    /// <summary>
    /// The step decays exponentially over a level's iterations down to this fraction of <see cref="LearningRate"/>; null:
    /// 0.001 for 3D rigid and affine (the smaller final steps leave less of the random samples' noise in the estimate:
    /// chosen on development cases of the 3D benchmark), 0.02 otherwise. Default null.
    /// </summary>
    public double? FinalLearningRateFraction { get; init; }

    /// <summary>Where the metric is evaluated. Default Random.</summary>
    public RegistrationSampling Sampling { get; init; } = RegistrationSampling.Random;

    /// <summary>
    /// Where the metric is evaluated at the finest pyramid level; null: as <see cref="Sampling"/>. A fixed set there
    /// (Grid or Full) removes the sampling noise from the final estimate. Default null.
    /// </summary>
    public RegistrationSampling? FinestLevelSampling { get; init; }

    /// <summary>Points per iteration for Random and Grid sampling. Default 2048.</summary>
    public int SampleCount { get; init; } = 2048;

    /// <summary>Seed of the random sampling: the same seed gives the same result. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Optional mask on the fixed image's grid: the metric is evaluated only where it is non-zero.</summary>
    public MedicalImage? FixedMask { get; init; }

    /// <summary>Optional mask on the moving image's grid: samples that map outside its non-zero region are ignored.</summary>
    public MedicalImage? MovingMask { get; init; }

    /// <summary>How the transform starts. Default Geometry.</summary>
    public RegistrationInitialization Initialization { get; init; } = RegistrationInitialization.Geometry;

    /// <summary>Optional extra starting translation in mm (added to the initialisation), e.g. to test that a registration converges from elsewhere.</summary>
    public IReadOnlyList<double>? InitialOffsetMm { get; init; }

    /// <summary>
    /// 2D rigid and affine: before the optimiser starts, the metric is evaluated at the coarsest level (every voxel) for
    /// rotations from -RotationSearchDegrees to +RotationSearchDegrees about the initial transform, and the optimiser
    /// starts from the best; this widens the capture range in rotation. 0 turns the search off. Default 0.
    /// </summary>
    public double RotationSearchDegrees { get; init; }

    /// <summary>Step of the rotation search in degrees. Default 2.5.</summary>
    public double RotationSearchStepDegrees { get; init; } = 2.5;

    /// <summary>B-spline control-point spacing in mm at the finest level. Default 24.</summary>
    public double GridSpacingMm { get; init; } = 24;

    /// <summary>
    /// B-spline: the control-point spacing of each pyramid level as a multiple of <see cref="GridSpacingMm"/>, coarse to
    /// fine (one value applies to every level); each value must be the next one or twice it, since the grid is refined by
    /// exact subdivision between levels (each level starts from the previous level's deformation). null: halving per
    /// level down to 1 (elastix's default; 2, 1 for the two levels of the B-spline default pyramid: 48 and 24 mm with the
    /// default spacing; 4, 2, 1 for three levels: 96, 48 and 24 mm).
    /// </summary>
    public IReadOnlyList<double>? GridSpacingSchedule { get; init; }

    /// <summary>
    /// Weight of the B-spline bending-energy penalty (the mean squared second derivative of the displacement, 1/mm^2, the
    /// same for the same deformation on every grid), added to the metric's cost. Default 1000 (with MI, which does not pin
    /// down a deformation where the fixed image is uniform, a weaker penalty lets the grid drift there).
    /// </summary>
    public double BendingEnergyWeight { get; init; } = 1000;

    /// <summary>The optimiser; null: Adam for translation, rigid and affine, <see cref="RegistrationOptimizer.NormalizedGradient"/> for B-spline. Default null.</summary>
    public RegistrationOptimizer? Optimizer { get; init; }

    /// <summary>
    /// Histogram bins of MI, NMI and the correlation ratio (Parzen-windowed, cubic B-spline kernel); null: 48 for 3D affine
    /// (chosen on development cases of the 3D benchmark, the MNI T1 template against the CT template; in 3D rigid runs the
    /// 48 bins cost up to twice the CPU time), 32 otherwise. Default null.
    /// </summary>
    public int? HistogramBins { get; init; }

    /// <summary>Half side of LCC's local windows in voxels (2 gives 5x5). Default 2.</summary>
    public int LccRadius { get; init; } = 2;

    /// <summary>Patches per iteration for a learned (patch) metric. Default 256.</summary>
    public int PatchCount { get; init; } = 256;

    /// <summary>Registration stops with <see cref="RegistrationError.TransformLeavesImage"/> when fewer than this fraction of the samples map into the moving image. Default 0.1.</summary>
    public double MinimumOverlap { get; init; } = 0.1;

    /// <summary>The smoothing sigma of level <paramref name="level"/>.</summary>
    public double SigmaOf(int level) =>
        SmoothingSigmas is { Count: > 0 } s ? s[Math.Min(level, s.Count - 1)] : ShrinkFactors[level] / 2.0;

    /// <summary>The sampling of level <paramref name="level"/>: <see cref="FinestLevelSampling"/> at the finest level when set, else <see cref="Sampling"/>.</summary>
    public RegistrationSampling SamplingOf(int level) =>
        level == ShrinkFactors.Count - 1 && FinestLevelSampling is { } finest ? finest : Sampling;

    /// <summary>The B-spline control-point spacing multiple of level <paramref name="level"/> (<see cref="GridSpacingSchedule"/>).</summary>
    public double GridSpacingMultipleOf(int level) =>
        GridSpacingSchedule is { Count: > 0 } g ? g[Math.Min(level, g.Count - 1)] : Math.Pow(2, ShrinkFactors.Count - 1 - level);

    /// <summary>The optimiser in use: <see cref="Optimizer"/>, or the transform's default.</summary>
    public RegistrationOptimizer OptimizerInUse =>
        Optimizer ?? (Transform == RegistrationTransformKind.BSpline ? RegistrationOptimizer.NormalizedGradient : RegistrationOptimizer.Adam);

    /// <summary>The iterations of level <paramref name="level"/>: <see cref="Iterations"/>, or the transform's default.</summary>
    public int IterationsOf(int level)
    {
        IReadOnlyList<int> iterations = Iterations ?? (Transform == RegistrationTransformKind.BSpline ? [100] : [120, 80, 150]);
        return iterations[Math.Min(level, iterations.Count - 1)];
    }

    /// <summary>Whether the 3D rigid and affine default of <see cref="FinalLearningRateFraction"/> applies to images of <paramref name="dimension"/>.</summary>
    private bool UsesLinear3DDefaults(int dimension) =>
        dimension == 3 && Transform is RegistrationTransformKind.Rigid or RegistrationTransformKind.Affine;

    /// <summary>The histogram bins for images of <paramref name="dimension"/>: <see cref="HistogramBins"/>, or the default (48 for 3D affine, else 32).</summary>
    public int HistogramBinsFor(int dimension) => HistogramBins ?? (dimension == 3 && Transform == RegistrationTransformKind.Affine ? 48 : 32);

    /// <summary>The final fraction of the step for images of <paramref name="dimension"/>: <see cref="FinalLearningRateFraction"/>, or the default (0.001 for 3D rigid and affine, else 0.02).</summary>
    public double FinalLearningRateFractionFor(int dimension) => FinalLearningRateFraction ?? (UsesLinear3DDefaults(dimension) ? 0.001 : 0.02);

    /// <summary>The initial step in voxels of the level: <see cref="LearningRate"/>, or the transform's default.</summary>
    public double LearningRateInUse => LearningRate ?? (Transform == RegistrationTransformKind.BSpline ? 0.2 : 1.0);

    /// <summary>Checks the settings.</summary>
    public void Validate()
    {
        if (ShrinkFactors is null || ShrinkFactors.Count == 0 || ShrinkFactors.Any(f => f < 1))
        {
            throw new ArgumentException("ShrinkFactors needs at least one factor >= 1.");
        }

        if (Iterations is not null && (Iterations.Count == 0 || Iterations.Any(i => i < 0)))
        {
            throw new ArgumentException("Iterations needs at least one non-negative count.");
        }

        if (SmoothingSigmas is not null && SmoothingSigmas.Any(s => s < 0 || !double.IsFinite(s)))
        {
            throw new ArgumentException("Smoothing sigmas must be finite and non-negative.");
        }

        if (!(LearningRateInUse > 0) || !double.IsFinite(LearningRateInUse) || FinalLearningRateFraction is { } final && (!(final > 0) || final > 1))
        {
            throw new ArgumentException("LearningRate must be positive and FinalLearningRateFraction in (0, 1].");
        }

        if (!(RotationSearchDegrees >= 0) || !double.IsFinite(RotationSearchDegrees) || !(RotationSearchStepDegrees > 0) || !double.IsFinite(RotationSearchStepDegrees))
        {
            throw new ArgumentException("RotationSearchDegrees must be finite and >= 0, RotationSearchStepDegrees finite and > 0.");
        }

        if (GridSpacingSchedule is { } schedule)
        {
            if (schedule.Any(g => !(g > 0) || !double.IsFinite(g)))
            {
                throw new ArgumentException("The grid spacing schedule needs finite, positive multiples.");
            }

            for (var i = 1; i < schedule.Count; i++)
            {
                var ratio = schedule[i - 1] / schedule[i];
                if (Math.Abs(ratio - 1) > 1e-9 && Math.Abs(ratio - 2) > 1e-9)
                {
                    throw new ArgumentException($"The grid spacing schedule ({string.Join(", ", schedule)}) must stay or halve from one level to the next (the grid is refined by exact subdivision).");
                }
            }
        }

        if (SampleCount < 16 || HistogramBins is < 8 || LccRadius < 1 || PatchCount < 1 || !(GridSpacingMm > 0) || BendingEnergyWeight < 0)
        {
            throw new ArgumentException("SampleCount >= 16, HistogramBins >= 8, LccRadius >= 1, PatchCount >= 1, GridSpacingMm > 0 and BendingEnergyWeight >= 0 are required.");
        }
    }
}
