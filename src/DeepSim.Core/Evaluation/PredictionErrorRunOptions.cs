using DeepSim.Patches;

namespace DeepSim.Evaluation;

/// <summary>
/// Settings of <see cref="PredictionErrorProtocol.Run(IReadOnlyList{DeepSim.Similarity.ISimilarityMetric}, IReadOnlyList{DeepSim.Imaging.ImagePair}, PredictionErrorRunOptions, IProgress{PredictionErrorRunProgress}?, CancellationToken)"/>:
/// the protocol's settings, where the centres lie, and what the results are called.
/// </summary>
public sealed record PredictionErrorRunOptions
{
    /// <summary>
    /// The protocol's settings. <see cref="PredictionErrorOptions.Count"/> is the number of centres over all pairs
    /// (spread by <see cref="SplitCount"/>) and <see cref="PredictionErrorOptions.Seed"/> the base seed (each pair's
    /// centres use <see cref="PairSeed"/>).
    /// </summary>
    public PredictionErrorOptions Protocol { get; init; } = new();

    /// <summary>Where the centres lie in each fixed image. Default: the skull region.</summary>
    public RegionOptions Region { get; init; } = new();

    /// <summary>The results' <see cref="PredictionErrorResult.Source"/>; null: the pair's name, or "N image pairs" for several.</summary>
    public string? SourceName { get; init; }

    /// <summary>Spreads <paramref name="count"/> centres over <paramref name="pairs"/> pairs: equal shares, the first pairs taking one more for the remainder.</summary>
    public static int[] SplitCount(int count, int pairs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        return [.. Enumerable.Range(0, pairs).Select(i => (count / pairs) + (i < count % pairs ? 1 : 0))];
    }

    /// <summary>The centre seed of pair <paramref name="pairIndex"/>: <c>seed + 7919 * pairIndex</c> (wrapping), so pair 0 uses the base seed.</summary>
    public static int PairSeed(int seed, int pairIndex) => unchecked(seed + (7919 * pairIndex));
}
