namespace DeepSim.Reporting;

/// <summary>The prediction errors one similarity metric made on the evaluated patches (one error per patch).</summary>
/// <param name="Metric">Name shown on the figure (NMI, LCC, DeepSim ...).</param>
/// <param name="Errors">Prediction errors: rank of the best score inside the true 3x3 region minus 1, 0 or more.</param>
public sealed record MetricErrors(string Metric, IReadOnlyList<double> Errors);
