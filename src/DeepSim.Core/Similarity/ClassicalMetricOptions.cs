namespace DeepSim.Similarity;

/// <summary>Settings for the built-in measures; each measure uses the ones that apply to it.</summary>
public sealed record ClassicalMetricOptions
{
    /// <summary>Binning for NMI, MI and the correlation ratio (default 32 bins over each image's range).</summary>
    public HistogramBinning Binning { get; init; } = HistogramBinning.Default;

    /// <summary>LCC box window half side (default 2: 5 x 5 windows).</summary>
    public int LccWindowRadius { get; init; } = 2;

    /// <summary>LCC averages the squared local coefficient (default) or the signed one.</summary>
    public bool LccSquared { get; init; } = true;

    /// <summary>Most threads a search uses; 0 means one per core.</summary>
    public int MaxDegreeOfParallelism { get; init; }
}
