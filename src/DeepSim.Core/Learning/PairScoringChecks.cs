using DeepSim.Patches;

namespace DeepSim.Learning;

/// <summary>The argument checks every learned model's <c>ScorePairs</c> makes before touching libtorch.</summary>
internal static class PairScoringChecks
{
    /// <summary>Throws when the span is too short or a pair's patch size differs from the model's (square patches); true when there is work.</summary>
    public static bool Validate(string modelName, int patchSize, IReadOnlyList<PatchPair> pairs, Span<double> scores) =>
        Validate(modelName, patchSize, 2, pairs, scores);

    /// <summary>Throws when the span is too short or a pair's patch size or dimension (2: square, 3: cubic) differs from the model's; true when there is work.</summary>
    public static bool Validate(string modelName, int patchSize, int dimension, IReadOnlyList<PatchPair> pairs, Span<double> scores)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (scores.Length < pairs.Count)
        {
            throw new ArgumentException($"The score span holds {scores.Length} values but there are {pairs.Count} pairs.", nameof(scores));
        }

        foreach (var p in pairs)
        {
            if (p.PatchSize != patchSize || p.Dimension != dimension)
            {
                throw new PatchSizeMismatchException(modelName, patchSize, p.PatchSize, dimension, p.Dimension);
            }
        }

        return pairs.Count > 0;
    }
}
