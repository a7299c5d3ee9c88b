using System.Management.Automation;
using DeepSim.Similarity;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>
/// Base of Measure-PatchSimilarity: -Metric's settings of the built-in measures and their resolution.
/// Measure-PredictionError declares the same three settings itself because it derives from <see cref="RegionCmdlet"/>.
/// </summary>
public abstract class MetricCmdlet : DeepSimCmdlet
{
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

    /// <summary>Turns -Metric values into metrics; an unknown name or a wrong type stops the cmdlet with a specific error.</summary>
    protected List<ISimilarityMetric> ResolveMetrics(IEnumerable<object?> values) =>
        MetricResolver.Resolve(values, MetricResolver.Options(Bins, HistogramRange, LccWindowRadius), (id, target, message, inner) => ThrowTerminating(id, ErrorCategory.InvalidArgument, target, message, inner));

    /// <summary>Shows the learned-metric scoring self-check's warning, once per process (see <see cref="MetricResolver.WriteScoringWarning"/>).</summary>
    protected void WriteScoringWarnings() => MetricResolver.WriteScoringWarning(this);
}
