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
/// <example>
/// <code>$ct = Import-MedicalImage ../shared/data/mni-templates-3d/scct.nii; $t2 = Import-MedicalImage ../shared/data/mni-templates-3d/avg152T2.nii
/// Measure-PredictionError -Metric NMI, LCC -Fixed $ct -Moving $t2 -Volumetric -SearchRadius 8 -Region Foreground -Count 200 -Seed 1</code>
/// <para>3D: 7x7x7 patches of two volumes, each searched over the 17x17x17 = 4,913 candidate cubes within 8 voxels; the true region is 3x3x3.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "PredictionError")]
[OutputType(typeof(PredictionErrorResult))]
public sealed class MeasurePredictionErrorCommand : RegionCmdlet
{
    private readonly List<ImagePair> _pooled = [];
    private List<ISimilarityMetric> _metrics = [];
    private int _seed;
    private int _pairIndex;
    private int _dimension = 2;

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

    /// <summary>Patch side length; default the learned model's, else 17 (7 with -Volumetric).</summary>
    [Parameter]
    public int? PatchSize { get; set; }

    /// <summary>Seed of the centre selection; the same seed gives the same centres for every metric. Without it a random seed is used and recorded in the result's Options.</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Name recorded as the results' Source (e.g. a held-out patient group); default the image name, or "N image pairs" when pooled.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SourceName { get; set; }

    /// <summary>Spread -Count over all piped image pairs and return one pooled result per metric.</summary>
    [Parameter]
    public SwitchParameter Pool { get; set; }

    // The built-in measures' settings, as MetricCmdlet declares them for Measure-PatchSimilarity: this cmdlet also
    // takes the region parameters (RegionCmdlet), and a class has one base, so one of the two groups is declared here.

    /// <summary>Histogram bins for NMI, MI and the correlation ratio. Default 32.</summary>
    [Parameter]
    [ValidateRange(2, 256)]
    public int Bins { get; set; } = HistogramBinning.DefaultBins;

    /// <summary>Range the histogram bins cover: Image (each whole image's range, default) or PerPatch (each patch's own min/max).</summary>
    [Parameter]
    public HistogramRange HistogramRange { get; set; } = HistogramRange.Image;

    /// <summary>Half side of LCC's local windows (2 gives 5x5 windows). Default 2.</summary>
    [Parameter]
    [ValidateRange(1, 16)]
    public int LccWindowRadius { get; set; } = 2;

    /// <summary>
    /// 3D: cubic patches of volumes (default side 7) searched over the (2R+1)^3 candidate cubes around each centre
    /// (4,913 for -SearchRadius 8), with a 3x3x3 true region for -Tolerance 1; centres keep R + PatchSize/2 voxels from
    /// every border, z included. Implied by a learned model of cubic patches. 2D images give a DimensionMismatch error.
    /// </summary>
    [Parameter]
    public SwitchParameter Volumetric { get; set; }

    #endregion

    #region Overrides

    /// <summary>Resolves metrics and the seed.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _metrics = MetricResolver.Resolve(Metric, MetricResolver.Options(Bins, HistogramRange, LccWindowRadius), (id, target, message, inner) => ThrowTerminating(id, ErrorCategory.InvalidArgument, target, message, inner));
        try
        {
            _dimension = MetricPatchSize.Dimension(_metrics, Volumetric);
            PatchSize = MetricPatchSize.Reconcile(_metrics, PatchSize, _dimension);
        }
        catch (PatchSizeConflictException e)
        {
            ThrowTerminating(e.ErrorId, ErrorCategory.InvalidArgument, e.Conflict is PatchSizeConflict.MetricsDisagree or PatchSizeConflict.DimensionsDisagree ? Metric : PatchSize, e.Message, e);
        }

        _seed = Seed ?? Random.Shared.Next();
        WriteVerbose($"Centre seed {_seed}; metrics: {string.Join(", ", _metrics.Select(m => m.Name))}; {(_dimension == 3 ? $"3D: {PatchSize}^3 patches, {(2 * SearchRadius) + 1}^3 candidates" : $"2D: {PatchSize}x{PatchSize} patches")}.");
    }

    /// <summary>Evaluates one image pair, or keeps it for pooling.</summary>
    protected override void ProcessRecord()
    {
        var pair = new ImagePair(Fixed.Name, Fixed, Moving);
        try
        {
            PatchSampler.Validate(Fixed, Moving, PatchSize!.Value, _dimension);
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
            Protocol = new PredictionErrorOptions { Count = Count, SearchRadius = SearchRadius, Tolerance = Tolerance, Seed = seed, PatchSize = PatchSize!.Value, Dimension = _dimension },
            Region = RegionOptions,
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
                    $"{(2 * SearchRadius) + 1}^{_dimension} candidates per patch"));
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
                PredictionErrorSkipReason.MaskMismatch => (ErrorIds.MaskMismatch, ErrorCategory.InvalidArgument, (object?)Mask),
                PredictionErrorSkipReason.EmptyRegion => (ErrorIds.EmptyRegion, ErrorCategory.InvalidData, skip.Pair),
                PredictionErrorSkipReason.TooFewCenters => (ErrorIds.TooFewCenters, ErrorCategory.InvalidData, skip.Pair),
                PredictionErrorSkipReason.ImageGeometryMismatch => (ErrorIds.ImageGeometryMismatch, ErrorCategory.InvalidArgument, skip.Pair),
                PredictionErrorSkipReason.InvalidPatchSize => (ErrorIds.InvalidPatchSize, ErrorCategory.InvalidArgument, skip.Pair),
                PredictionErrorSkipReason.DimensionMismatch => (ErrorIds.DimensionMismatch, ErrorCategory.InvalidArgument, skip.Pair),
                _ => (ErrorIds.PredictionErrorSetup, ErrorCategory.InvalidArgument, skip.Pair),
            };
            WriteError(id, category, target, skip.Message, skip.Exception);
        }

        MetricResolver.WriteScoringWarning(this);
        WriteObject(run.Results, enumerateCollection: true);
    }
}
