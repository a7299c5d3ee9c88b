using System.Management.Automation;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Registration;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Registers a moving image to a fixed one (2D or 3D) with any metric, learned or classical: translation, rigid, affine or B-spline.</para>
/// <para type="description">Register-Image finds the transform that maps physical points of the fixed image into the moving image (ITK's convention) by maximising a similarity metric: mutual information (MI, Mattes-style with Parzen windows; the default), NMI, NCC, LCC, the correlation ratio, mean squares (MSE), a learned SimilarityModel (the paper's network), whose network scores patches sampled through the transform, or the two-branch CNN that Invoke-SimilarityTraining trains by default (a FeatureSimilarityModel, LCC-anchored or not): its networks describe every voxel of the full-resolution images once (the fixed image once per run, the moving image once per pyramid level, resampled onto the fixed grid through the transform reached so far), those feature maps are smoothed like the level's images and read through the transform at the level's sample points, and the cost is the negated mean cosine of the fixed and moving vectors plus the model's trained weight times LCC, so an iteration costs two small interpolations. The CNN describes 2D patches: it registers 2D images (a volume is a DimensionMismatch error); a volumetric model implementing IFeatureMapModel plugs in the same way. It runs a multi-resolution pyramid (-ShrinkFactors, -SmoothingSigmas), samples the metric at -SampleCount random points per iteration (-Sampling Grid or Full for deterministic sets), and optimises with Adam, the gradients coming from TorchSharp's autograd through bilinear/trilinear resampling. -Transform BSpline optimises a cubic B-spline grid with control points -GridSpacing mm apart at the finest level, coarse to fine (-GridSpacingSchedule; by default the spacing halves per level over B-spline's default pyramid of two levels, -ShrinkFactors 2, 1: 48 and 24 mm, the grid refined by exact subdivision), with normalised-gradient steps (-Optimizer) and a bending-energy penalty; a deformation that folds (negative Jacobian determinant) is reported as an error with the result still returned. Images come as -Fixed and -Moving or from the pipeline as pairs (Import-ImagePair, or any object with Fixed and Moving properties). The output is a RegistrationResult: the transform (Export-ImageTransform writes it as an ITK .tfm file), the metric per level and iteration, the iterations and the time. Progress shows level and iteration; Ctrl+C stops between iterations. -Seed makes a run reproducible.</para>
/// </summary>
/// <example>
/// <code>$t1 = Import-MedicalImage ./BrainT1SliceBorder20.png; $pd = Import-MedicalImage ./BrainProtonDensitySliceR10X13Y17.png; Register-Image -Fixed $t1 -Moving $pd -Metric MI -Transform Rigid -Seed 1 | Export-ImageTransform -Path ./pd-to-t1.tfm</code>
/// <para>Rigidly registers a PD slice to a T1 slice by mutual information and saves the transform in ITK's format.</para>
/// </example>
/// <example>
/// <code>Import-ImagePair -FixedPath ./CT -MovingPath ./MR | Register-Image -Metric $model -Transform Rigid -ShrinkFactors 2, 1 | Format-Table FixedName, Metric, Iterations, FinalMetricValue, Elapsed</code>
/// <para>Registers every CT/MR pair of two folders with a learned similarity model.</para>
/// </example>
/// <example>
/// <code>$cnn = Import-ImagePair -FixedPath ./CT -MovingPath ./MR -Align | Where-Object Group -in '21', '37' | Invoke-SimilarityTraining -Seed 1; Register-Image -Fixed $ct -Moving $mr -Metric $cnn -Seed 1 | Format-List Metric, Transform, FinalMetricValue, Elapsed</code>
/// <para>Trains the default learned metric (the LCC-anchored two-branch CNN) on the aligned CT/MR pairs of two patients and registers another patient's CT/MR pair with it (rigid, the default pyramid).</para>
/// </example>
/// <example>
/// <code>Register-Image -Fixed $ct -Moving $mr -Metric MI -Transform BSpline -GridSpacing 20 -BendingEnergyWeight 200</code>
/// <para>A non-rigid registration with a 20 mm control-point grid at the finest level (40 and 20 mm over the two levels of the B-spline default pyramid) and a weaker bending-energy penalty than the default 1000, for images whose structure pins the deformation down.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Register, "Image")]
[OutputType(typeof(RegistrationResult))]
public sealed class RegisterImageCommand : RegistrationCmdlet
{
    #region Parameters

    /// <summary>The transform to optimise: Translation, Rigid (default), Affine or BSpline.</summary>
    [Parameter]
    public RegistrationTransformKind Transform { get; set; } = RegistrationTransformKind.Rigid;

    /// <summary>How the transform starts: Geometry (centres of the fields of view aligned, default), Moments (intensity centres of mass aligned) or None (identity).</summary>
    [Parameter]
    public RegistrationInitialization Initialization { get; set; } = RegistrationInitialization.Geometry;

    /// <summary>Where the metric is evaluated at the finest pyramid level: Random, Grid or Full (every voxel). Default: as -Sampling.</summary>
    [Parameter]
    public RegistrationSampling? FinestLevelSampling { get; set; }

    /// <summary>2D rigid and affine: search rotations within this many degrees (either way) at the coarsest level before optimising; widens the capture range. 0 turns the search off. Default 0.</summary>
    [Parameter]
    [ValidateRange(0.0, 180.0)]
    public double RotationSearch { get; set; }

    /// <summary>B-spline control-point spacing in mm. Default 24.</summary>
    [Parameter]
    [ValidateRange(0.01, 10000.0)]
    public double GridSpacing { get; set; } = 24;

    /// <summary>Weight of the B-spline bending-energy penalty (mean squared second derivative of the displacement, 1/mm^2). Default 1000.</summary>
    [Parameter]
    [ValidateRange(0.0, 1e9)]
    public double BendingEnergyWeight { get; set; } = 1000;

    /// <summary>B-spline: the control-point spacing of each pyramid level as a multiple of -GridSpacing, coarse to fine; each value equals the next or twice it (the grid is refined by exact subdivision between levels). Default: halving per level down to 1 (2, 1 for the two levels of the B-spline default pyramid: 48 and 24 mm; 4, 2, 1 for three levels: 96, 48 and 24 mm).</summary>
    [Parameter]
    [ValidateRange(1.0, 1024.0)]
    public double[]? GridSpacingSchedule { get; set; }

    /// <summary>The optimiser: Adam (every parameter normalised by its own gradient history) or NormalizedGradient (one normalisation for all the parameters, so the step keeps the gradient's direction). Default: Adam for Translation, Rigid and Affine, NormalizedGradient for BSpline.</summary>
    [Parameter]
    public RegistrationOptimizer? Optimizer { get; set; }

    #endregion

    #region Overrides

    /// <summary>Registers one pair.</summary>
    protected override void ProcessRecord()
    {
        var options = BaseOptions() with
        {
            Transform = Transform,
            Initialization = Initialization,
            FinestLevelSampling = FinestLevelSampling,
            RotationSearchDegrees = RotationSearch,
            GridSpacingMm = GridSpacing,
            BendingEnergyWeight = BendingEnergyWeight,
            GridSpacingSchedule = GridSpacingSchedule,
            Optimizer = Optimizer,
        };
        var activity = $"Register-Image {Moving.Name} -> {Fixed.Name}";
        RegistrationResult result;
        try
        {
            result = RunWithProgress<RegistrationProgress, RegistrationResult>(
                (progress, token) => ImageRegistration.Register(Fixed, Moving, ResolvedMetric, options, progress, token),
                p => Describe(activity, p));
        }
        catch (RegistrationException e)
        {
            WriteRegistrationError(e);
            return;
        }
        catch (ArgumentException e)
        {
            WriteError(ErrorIds.InvalidRegistrationSettings, ErrorCategory.InvalidArgument, Moving, e.Message, e);
            return;
        }
        finally
        {
            CompleteProgress(activity);
        }

        WriteVerbose(result.ToString());
        if (result.MinJacobianDeterminant is double j && j <= 0)
        {
            WriteError(ErrorIds.TransformFolds, ErrorCategory.InvalidResult, result, result.Warnings[0], recommendedAction: "Increase -BendingEnergyWeight or -GridSpacing and register again.");
        }

        foreach (var w in result.Warnings.Where(w => !w.StartsWith("The B-spline", StringComparison.Ordinal)))
        {
            WriteWarning(w);
        }

        WriteObject(result);
    }

    #endregion
}
