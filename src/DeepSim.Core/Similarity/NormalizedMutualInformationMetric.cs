namespace DeepSim.Similarity;

/// <summary>
/// Normalised mutual information after Studholme, Hill and Hawkes (1999): NMI = (H(A) + H(B)) / H(A, B), in [1, 2]
/// (1 = independent, 2 = each determines the other). This is scikit-image's normalized_mutual_information;
/// with <see cref="HistogramBinning.PerPatch"/> binning the values equal it.
/// </summary>
/// <remarks>
/// Degenerate patches: when both patches are constant, H(A, B) = 0 and the ratio is undefined (scikit-image returns
/// NaN); this metric returns 1, the value for "no evidence of dependence". When only one patch is constant, the
/// formula gives exactly 1 as well.
/// </remarks>
public sealed class NormalizedMutualInformationMetric : InformationTheoreticMetric
{
    /// <summary>The registry name.</summary>
    public const string MetricName = "NMI";

    /// <summary>Creates the measure (default binning: 32 bins over each image's range).</summary>
    public NormalizedMutualInformationMetric(HistogramBinning? binning = null)
        : base(MetricName, binning)
    {
    }

    /// <inheritdoc />
    protected override double Combine(double fixedEntropy, double movingEntropy, double jointEntropy) =>
        jointEntropy > 0 ? (fixedEntropy + movingEntropy) / jointEntropy : 1.0;
}
