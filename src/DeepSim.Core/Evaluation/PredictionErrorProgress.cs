namespace DeepSim.Evaluation;

/// <summary>Progress of <see cref="PredictionErrorProtocol.Run(IReadOnlyList{DeepSim.Similarity.ISimilarityMetric}, DeepSim.Imaging.MedicalImage, DeepSim.Imaging.MedicalImage, IReadOnlyList{DeepSim.Patches.PatchCenter}, PredictionErrorOptions?, IProgress{PredictionErrorProgress}?, CancellationToken)"/>: which metric, how many of its queries are done.</summary>
/// <param name="Metric">Name of the metric being scored.</param>
/// <param name="MetricIndex">Zero-based index of that metric.</param>
/// <param name="MetricCount">Number of metrics.</param>
/// <param name="QueriesCompleted">Queries of this metric scored so far.</param>
/// <param name="QueryCount">Queries per metric.</param>
public readonly record struct PredictionErrorProgress(string Metric, int MetricIndex, int MetricCount, int QueriesCompleted, int QueryCount)
{
    /// <summary>Overall completion in percent, over all metrics.</summary>
    public double PercentComplete => QueryCount == 0 || MetricCount == 0 ? 100 : 100.0 * ((MetricIndex * (double)QueryCount) + QueriesCompleted) / (MetricCount * (double)QueryCount);
}
