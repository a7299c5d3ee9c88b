namespace DeepSim.Similarity;

/// <summary>
/// Mutual information MI = H(A) + H(B) - H(A, B) in nats (natural logarithm), from the joint histogram of the
/// two patches (sklearn.metrics.mutual_info_score of the bin labels gives the same value). A constant patch
/// gives 0.
/// </summary>
public sealed class MutualInformationMetric : InformationTheoreticMetric
{
    /// <summary>The registry name.</summary>
    public const string MetricName = "MI";

    /// <summary>Creates the measure (default binning: 32 bins over each image's range).</summary>
    public MutualInformationMetric(HistogramBinning? binning = null)
        : base(MetricName, binning)
    {
    }

    /// <inheritdoc />
    protected override double Combine(double fixedEntropy, double movingEntropy, double jointEntropy) =>
        Math.Max(0, fixedEntropy + movingEntropy - jointEntropy);
}
