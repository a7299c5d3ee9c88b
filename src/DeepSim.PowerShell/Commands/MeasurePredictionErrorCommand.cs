using System.Management.Automation;
using DeepSim.Evaluation;
using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Similarity;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Measures the paper's prediction error of one or more metrics on co-registered images: the rank of the true position among all candidates.</para>
/// <para type="description">Measure-PredictionError picks -Count random patch centres in the fixed image (in the same region of interest as Get-PatchPair, by default in or around the skull, and far enough from the border for the whole search neighbourhood), scores each fixed patch against every moving patch in its (2R+1)^2 neighbourhood (6,561 candidates for -SearchRadius 40), ranks the candidates (best = rank 1), takes the rank r of the best-scoring candidate inside the true (2T+1)^2 region (3x3 for -Tolerance 1), and reports the prediction error r - 1. Ties are broken pessimistically: every candidate outside the true region that scores at least as well as the best one inside ranks ahead of it, so a metric that cannot tell candidates apart gets a large error; NaN scores rank last. Each metric gives one PredictionErrorResult (MeanError, MedianError, StdError, HitRate = fraction of error 0, percentiles, and the per-patch Errors with centres) so several metrics make a comparison table in one line. The same -Seed gives the same centres for every metric. Image pairs may be piped (objects with Fixed and Moving properties, e.g. from Import-ImagePair); each gives its own results, or, with -Pool, -Count centres are spread over all of them and one pooled result per metric is returned.</para>
/// </summary>
/// <example>
/// <code>Measure-PredictionError -Metric $model, 'NMI', 'LCC' -Fixed $ct -Moving $mr -Count 300 -Seed 1 | Format-Table Metric, MeanError, MedianError, HitRate</code>
/// <para>The paper's comparison: the learned metric against NMI and LCC on the same 300 patches.</para>
/// </example>
/// <example>
/// <code>Import-ImagePair ./CT/37*.png ./MR | Measure-PredictionError -Metric NMI, MI, NCC, LCC, CorrelationRatio -Pool -Seed 7</code>
/// <para>All classical measures on one patient's slices, pooled over the slices.</para>
/// </example>
/// <example>
/// <code>$r = Measure-PredictionError -Metric $model -Fixed $ct -Moving $mr -Seed 1
/// $r.Errors | Where-Object Error -gt 10 | Select-Object Center, Error, BestOffset</code>
/// <para>Finds the patches where the learned metric goes wrong, and where it thought the match was.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "PredictionError")]
[OutputType(typeof(PredictionErrorResult))]
public sealed class MeasurePredictionErrorCommand : MetricCmdlet
{
    private readonly List<ImagePair> _pooled = [];
    private List<ISimilarityMetric> _metrics = [];
    private int _seed;
    private int _pairIndex;

    #region Parameters

    /// <summary>Metrics to evaluate: SimilarityModel objects and/or built-in names (NMI, MI, NCC, LCC, CorrelationRatio).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(MetricNameCompleter))]
    [ValidateNotNullOrEmpty]
    public object[] Metric { get; set; } = [];

    /// <summary>The fixed image (binds the Fixed property of piped objects).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public MedicalImage Fixed { get; set; } = null!;

    /// <summary>The moving image on the same grid (binds the Moving property of piped objects).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public MedicalImage Moving { get; set; } = null!;

    /// <summary>Number of random patch centres. Default 300 (the paper's). With -Pool, the total over all image pairs.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Count { get; set; } = 300;

    /// <summary>Search radius R: (2R+1)^2 candidates per patch. Default 40 (81x81 = 6,561).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int SearchRadius { get; set; } = 40;

    /// <summary>Tolerance T: the true region is (2T+1)^2 around the true position. Default 1 (3x3).</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int Tolerance { get; set; } = 1;

    /// <summary>Patch side length; default the learned model's, else 17.</summary>
    [Parameter]
    public int? PatchSize { get; set; }

    /// <summary>Seed of the centre selection; the same seed gives the same centres for every metric. Without it a random seed is used and recorded in the result's Options.</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Region of the centres: Skull (default), Foreground or All, as in Get-PatchPair.</summary>
    [Parameter]
    public RegionKind Region { get; set; } = RegionKind.Skull;

    /// <summary>Threshold override for the Skull or Foreground region.</summary>
    [Parameter]
    public float? Threshold { get; set; }

    /// <summary>Dilation of the skull region in voxels. Default 3.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int DilationRadius { get; set; } = 3;

    /// <summary>A mask image on the fixed image's grid: centres lie where it is non-zero. Overrides -Region.</summary>
    [Parameter]
    public MedicalImage? Mask { get; set; }

    /// <summary>Name recorded as the results' Source (e.g. a held-out patient group); default the image name, or "N image pairs" when pooled.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SourceName { get; set; }

    /// <summary>Spread -Count over all piped image pairs and return one pooled result per metric.</summary>
    [Parameter]
    public SwitchParameter Pool { get; set; }

    #endregion

    #region Overrides

    /// <summary>Resolves metrics and the seed.</summary>
    protected override void BeginProcessing()
    {
        _metrics = ResolveMetrics(Metric);
        var required = _metrics.Select(m => m.RequiredPatchSize).OfType<int>().Distinct().ToList();
        if (required.Count > 1)
        {
            ThrowTerminating("PatchSizeMismatch", ErrorCategory.InvalidArgument, Metric, $"The models need different patch sizes ({string.Join(", ", required)}); evaluate them separately.");
        }

        if (PatchSize is int p && required.Count == 1 && required[0] != p)
        {
            ThrowTerminating("PatchSizeMismatch", ErrorCategory.InvalidArgument, PatchSize, $"-PatchSize {p} does not fit the model, which scores {required[0]}x{required[0]} patches.");
        }

        PatchSize ??= required.Count == 1 ? required[0] : 17;
        if (PatchSize < 1 || PatchSize % 2 == 0)
        {
            ThrowTerminating("InvalidPatchSize", ErrorCategory.InvalidArgument, PatchSize, $"Patch size {PatchSize} is invalid: it must be odd and positive.");
        }

        _seed = Seed ?? Random.Shared.Next();
        WriteVerbose($"Centre seed {_seed}; metrics: {string.Join(", ", _metrics.Select(m => m.Name))}.");
    }

    /// <summary>Evaluates one image pair, or keeps it for pooling.</summary>
    protected override void ProcessRecord()
    {
        var pair = new ImagePair(Fixed.Name, Fixed, Moving);
        try
        {
            PatchSampler.Validate(Fixed, Moving, PatchSize!.Value);
        }
        catch (PatchSamplingException e)
        {
            WriteError(e.ErrorId, ErrorMapping.Category(e.Error), pair, e.Message, e);
            return;
        }

        if (Pool)
        {
            _pooled.Add(pair);
            return;
        }

        Evaluate([pair], unchecked(_seed + _pairIndex++));
    }

    /// <summary>Evaluates the pooled image pairs.</summary>
    protected override void EndProcessing()
    {
        if (Pool && _pooled.Count > 0)
        {
            Evaluate(_pooled, _seed);
        }
    }

    #endregion

    private void Evaluate(IReadOnlyList<ImagePair> pairs, int seed)
    {
        const string activity = "Measure-PredictionError";
        var options = new PredictionErrorRunOptions
        {
            Protocol = new PredictionErrorOptions { Count = Count, SearchRadius = SearchRadius, Tolerance = Tolerance, Seed = seed, PatchSize = PatchSize!.Value },
            Region = new RegionOptions { Kind = Region, Threshold = Threshold, DilationRadius = DilationRadius, Mask = Mask },
            SourceName = SourceName,
        };
        PredictionErrorRun run;
        try
        {
            run = RunWithProgress<PredictionErrorRunProgress, PredictionErrorRun>(
                (progress, token) => PredictionErrorProtocol.Run(_metrics, pairs, options, progress, token),
                p => new ProgressUpdate(
                    activity,
                    $"{p.Current.Metric} ({p.Current.MetricIndex + 1}/{p.Current.MetricCount}) on {p.Pair}: {p.Current.QueriesCompleted}/{p.Current.QueryCount} patches",
                    (int)p.PercentComplete,
                    $"{(2 * SearchRadius) + 1}^2 candidates per patch"));
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        CompleteProgress(activity);
        foreach (var skip in run.Skipped)
        {
            var (id, category, target) = skip.Reason switch
            {
                PredictionErrorSkipReason.MaskMismatch => ("MaskMismatch", ErrorCategory.InvalidArgument, (object?)Mask),
                PredictionErrorSkipReason.EmptyRegion => ("EmptyRegion", ErrorCategory.InvalidData, skip.Pair),
                PredictionErrorSkipReason.TooFewCenters => ("TooFewCenters", ErrorCategory.InvalidData, skip.Pair),
                PredictionErrorSkipReason.ImageGeometryMismatch => ("ImageGeometryMismatch", ErrorCategory.InvalidArgument, skip.Pair),
                PredictionErrorSkipReason.InvalidPatchSize => ("InvalidPatchSize", ErrorCategory.InvalidArgument, skip.Pair),
                _ => ("PredictionErrorSetup", ErrorCategory.InvalidArgument, skip.Pair),
            };
            WriteError(id, category, target, skip.Message, skip.Exception);
        }

        WriteScoringWarnings();
        WriteObject(run.Results, enumerateCollection: true);
    }
}
