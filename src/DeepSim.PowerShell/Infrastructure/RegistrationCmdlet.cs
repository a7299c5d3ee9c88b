using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.Registration;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>Base of the cmdlets that run a registration: the images (or pairs from the pipeline), the metric and the engine's settings.</summary>
public abstract class RegistrationCmdlet : DeepSimCmdlet
{
    private IRegistrationMetric? _metric;

    /// <summary>The fixed (reference) image. Pairs from the pipeline (Import-ImagePair, any object with Fixed and Moving properties) bind by property name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public MedicalImage Fixed { get; set; } = null!;

    /// <summary>The moving image, registered onto the fixed one.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public MedicalImage Moving { get; set; } = null!;

    /// <summary>The metric: a built-in name (MI, NMI, NCC, LCC, CorrelationRatio, MSE), a learned model (a SimilarityModel, or the two-branch CNN, a FeatureSimilarityModel, from Invoke-SimilarityTraining or Import-SimilarityModel), or any IRegistrationMetric. Default MI.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(RegistrationMetricCompleter))]
    [ValidateNotNull]
    public object Metric { get; set; } = "MI";

    /// <summary>Pyramid shrink factors, coarse to fine. Default 4, 2, 1 (B-spline: 2, 1).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int[]? ShrinkFactors { get; set; }

    /// <summary>Gaussian smoothing sigma per level in voxels of the original image. Default: half the shrink factor, 0.5 at the finest level (factor 1), as elastix.</summary>
    [Parameter]
    public double[]? SmoothingSigmas { get; set; }

    /// <summary>Iterations per level (one value for all levels). Default 120, 80, 150 (B-spline: 100 per level).</summary>
    [Parameter]
    [ValidateRange(0, 100000)]
    public int[]? Iterations { get; set; }

    /// <summary>The optimiser's initial step in voxels of the level; it decays to 2% over each level (to 0.1% for 3D rigid and affine). Default 1 (B-spline: 0.2, the root-mean-square coefficient step).</summary>
    [Parameter]
    [ValidateRange(1e-6, 1000.0)]
    public double? LearningRate { get; set; }

    /// <summary>Where the metric is evaluated: Random (new points every iteration, default), Grid or Full.</summary>
    [Parameter]
    public RegistrationSampling Sampling { get; set; } = RegistrationSampling.Random;

    /// <summary>Points per iteration for Random and Grid sampling. Default 2048.</summary>
    [Parameter]
    [ValidateRange(16, 10_000_000)]
    public int SampleCount { get; set; } = 2048;

    /// <summary>Histogram bins of MI, NMI and the correlation ratio. Default 48 for 3D affine registrations, 32 otherwise.</summary>
    [Parameter]
    [ValidateRange(8, 256)]
    public int? Bins { get; set; }

    /// <summary>An optional mask on the fixed image's grid: the metric is evaluated where it is non-zero.</summary>
    [Parameter]
    public MedicalImage? FixedMask { get; set; }

    /// <summary>An optional mask on the moving image's grid: samples mapping outside it are ignored.</summary>
    [Parameter]
    public MedicalImage? MovingMask { get; set; }

    /// <summary>Seed of the random sampling; the same seed gives the same result. Default 0.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>The metric resolved in BeginProcessing.</summary>
    protected IRegistrationMetric ResolvedMetric => _metric!;

    /// <summary>Resolves the metric once.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        var value = Metric is PSObject pso ? pso.BaseObject : Metric;
        try
        {
            _metric = RegistrationMetrics.From(value, BaseOptions());
        }
        catch (RegistrationException e)
        {
            ThrowTerminating(ErrorIds.UnknownRegistrationMetric, ErrorCategory.InvalidArgument, value, e.Message, e);
        }
    }

    /// <summary>The engine's options from the common parameters.</summary>
    protected RegistrationOptions BaseOptions() => new()
    {
        ShrinkFactors = ShrinkFactors,
        SmoothingSigmas = SmoothingSigmas,
        Iterations = Iterations,
        LearningRate = LearningRate,
        Sampling = Sampling,
        SampleCount = SampleCount,
        HistogramBins = Bins,
        FixedMask = FixedMask,
        MovingMask = MovingMask,
        Seed = Seed,
    };

    /// <summary>Turns a registration failure into a non-terminating error naming the offending object.</summary>
    protected void WriteRegistrationError(RegistrationException e)
    {
        var (category, target) = e.Error switch
        {
            RegistrationError.DimensionMismatch => (ErrorCategory.InvalidArgument, (object)Moving),
            RegistrationError.TransformLeavesImage => (ErrorCategory.InvalidResult, Moving),
            RegistrationError.PatchSizeTooLarge => (ErrorCategory.InvalidArgument, ResolvedMetric),
            RegistrationError.InvalidMask => (ErrorCategory.InvalidArgument, (object?)FixedMask ?? MovingMask ?? Fixed),
            RegistrationError.UnsupportedMetric => (ErrorCategory.InvalidArgument, ResolvedMetric),
            _ => (ErrorCategory.InvalidData, Fixed),
        };
        WriteError(e.Error.ToString(), category, target, e.Message, e);
    }

    /// <summary>Progress bar text of a registration step.</summary>
    protected static ProgressUpdate? Describe(string activity, RegistrationProgress p) =>
        new(activity, FormattableString.Invariant($"Level {p.Level + 1}/{p.Levels}, iteration {p.Iteration + 1}/{p.IterationsInLevel}, cost {p.MetricValue:G5}"), (int)(100 * p.Fraction));
}

/// <summary>Completes -Metric with the registration metric names.</summary>
public sealed class RegistrationMetricCompleter : System.Management.Automation.IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return RegistrationMetrics.Names.Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)).Select(n => new CompletionResult(n));
    }
}
