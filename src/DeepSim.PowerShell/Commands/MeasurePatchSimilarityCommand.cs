using System.Management.Automation;
using DeepSim.Patches;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Runtime;
using DeepSim.Similarity;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Scores patch pairs with a learned model or a classical measure (NMI, MI, NCC, LCC, CorrelationRatio).</para>
/// <para type="description">Measure-PatchSimilarity scores piped PatchPair objects with one metric and passes them on with Score and ScoredBy set (higher is more similar). The metric is a SimilarityModel (from Invoke-SimilarityTraining or Import-SimilarityModel) or a built-in name; tab completion offers the names. Histogram measures use -Bins bins (default 32) over each whole image's range (default) or each patch's own range (-HistogramRange PerPatch, as scikit-image does on a pair of patches); the choice changes rankings. Pairs are scored in batches of -BatchSize, so a learned model runs efficiently. With -Fixed, -Moving and -Center it instead returns a SimilarityMap: the score of the fixed patch at the centre against every moving patch in the (2R+1)^2 neighbourhood.</para>
/// </summary>
/// <example>
/// <code>Get-PatchPair -Fixed $ct -Moving $mr -Count 500 -Seed 1 | Measure-PatchSimilarity -Metric NMI | Group-Object Label | ForEach-Object { [pscustomobject]@{ Label = $_.Name; MeanScore = ($_.Group.Score | Measure-Object -Average).Average } }</code>
/// <para>Compares the mean NMI of matching and non-matching pairs.</para>
/// </example>
/// <example>
/// <code>$pairs | Measure-PatchSimilarity -Metric $model | Sort-Object Score -Descending | Select-Object -First 10</code>
/// <para>Scores pairs with a trained model and shows the ten most similar.</para>
/// </example>
/// <example>
/// <code>Measure-PatchSimilarity -Metric LCC -Fixed $ct -Moving $mr -Center 120, 80 -SearchRadius 40 | Export-SimilarityMap -Path lcc.png</code>
/// <para>Scores one CT patch against its 81x81 MR neighbourhood and writes the map as a heat map.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "PatchSimilarity", DefaultParameterSetName = PairsSet)]
[OutputType(typeof(PatchPair), ParameterSetName = [PairsSet])]
public sealed partial class MeasurePatchSimilarityCommand : MetricCmdlet
{
    private const string PairsSet = "Pairs";
    private const string MapSet = "Map";
    private readonly List<PatchPair> _buffer = [];
    private ISimilarityMetric _metric = null!;

    #region Parameters

    /// <summary>The metric: a SimilarityModel or a built-in name (NMI, MI, NCC, LCC, CorrelationRatio). In the map parameter set, several metrics give one map each.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(MetricNameCompleter))]
    [ValidateNotNullOrEmpty]
    public object[] Metric { get; set; } = [];

    /// <summary>Patch pairs to score (from Get-PatchPair).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PairsSet)]
    [ValidateNotNull]
    public PatchPair InputObject { get; set; } = null!;

    /// <summary>Pairs scored together. Default 4096.</summary>
    [Parameter(ParameterSetName = PairsSet)]
    [ValidateRange(1, 1_000_000)]
    public int BatchSize { get; set; } = 4096;

    #endregion

    #region Overrides

    /// <summary>Resolves the metric.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        var metrics = ResolveMetrics(Metric);
        if (ParameterSetName == PairsSet)
        {
            if (metrics.Count != 1)
            {
                ThrowTerminating(ErrorIds.OneMetricForPairs, ErrorCategory.InvalidArgument, Metric, "Scoring patch pairs takes exactly one metric (each pair holds one Score); run the command once per metric, or use Measure-PredictionError to compare several.");
            }

            _metric = metrics[0];
        }
        else
        {
            BeginMap(metrics);
        }
    }

    /// <summary>Buffers a pair and scores a full batch.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == MapSet)
        {
            return;
        }

        if (_metric.RequiredPatchSize is int size && size != InputObject.PatchSize)
        {
            WriteError(ErrorIds.PatchSizeMismatch, ErrorCategory.InvalidArgument, InputObject, $"{_metric.Name} scores {size}x{size} patches, but this pair's patches are {InputObject.PatchSize}x{InputObject.PatchSize}; sample with Get-PatchPair -PatchSize {size}.");
            return;
        }

        _buffer.Add(InputObject);
        if (_buffer.Count >= BatchSize)
        {
            Flush();
        }
    }

    /// <summary>Scores the last batch (pairs) or computes the maps.</summary>
    protected override void EndProcessing()
    {
        if (ParameterSetName == MapSet)
        {
            EndMap();
            return;
        }

        Flush();
    }

    #endregion

    private void Flush()
    {
        if (_buffer.Count == 0)
        {
            return;
        }

        var scores = new double[_buffer.Count];
        try
        {
            _metric.ScorePairs(_buffer, scores, StopToken);
        }
        catch (TorchRuntimeUnavailableException e)
        {
            ThrowTorchUnavailable(e);
        }

        for (var i = 0; i < _buffer.Count; i++)
        {
            _buffer[i].Score = scores[i];
            _buffer[i].ScoredBy = _metric.Name;
            WriteObject(_buffer[i]);
        }

        _buffer.Clear();
    }
}
