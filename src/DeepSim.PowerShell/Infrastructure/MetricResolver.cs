using System.Management.Automation;
using DeepSim.Similarity;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>Turns -Metric values (models, metric objects or built-in names) into metrics.</summary>
internal static class MetricResolver
{
    /// <summary>Resolves every value; unknown names and wrong types become a terminating error through <paramref name="fail"/>.</summary>
    public static List<ISimilarityMetric> Resolve(IEnumerable<object?> values, ClassicalMetricOptions options, Action<string, object?, string, Exception?> fail)
    {
        var list = new List<ISimilarityMetric>();
        foreach (var raw in values)
        {
            var value = raw is PSObject pso ? pso.BaseObject : raw;
            switch (value)
            {
                case ISimilarityMetric metric:
                    list.Add(metric);
                    break;
                case string name when MetricRegistry.TryCreate(name, options, out var created):
                    list.Add(created);
                    break;
                case string name:
                    fail(ErrorIds.UnknownMetric, name, $"Unknown similarity metric '{name}'. Use a SimilarityModel (Invoke-SimilarityTraining, Import-SimilarityModel) or one of: {string.Join(", ", MetricRegistry.Names)}.", null);
                    break;
                default:
                    fail(ErrorIds.InvalidMetricType, value, $"A metric must be a SimilarityModel or a name ({string.Join(", ", MetricRegistry.Names)}); got {value?.GetType().FullName ?? "null"}.", null);
                    break;
            }
        }

        return list;
    }

    /// <summary>Options for built-in measures from the cmdlet's parameters.</summary>
    public static ClassicalMetricOptions Options(int bins, HistogramRange range, int lccWindowRadius) => new()
    {
        Binning = range == HistogramRange.PerPatch ? HistogramBinning.PerPatch(bins) : HistogramBinning.Image(bins),
        LccWindowRadius = lccWindowRadius,
    };

    /// <summary>
    /// Shows, once per process, the warning left by the learned-metric scoring self-check when a fast plan was found wrong
    /// on this machine and DeepSim fell back to a correct one.
    /// </summary>
    public static void WriteScoringWarning(Cmdlet cmdlet)
    {
        if (DeepSim.Learning.ScoringSelfCheck.TakeWarning() is { } warning)
        {
            cmdlet.WriteWarning(warning);
        }
    }
}
