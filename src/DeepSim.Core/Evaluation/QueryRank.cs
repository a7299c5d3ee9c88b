namespace DeepSim.Evaluation;

/// <summary>The ranking of one query's search window (see <see cref="PredictionErrorProtocol.RankQuery"/>).</summary>
/// <param name="Rank">1-based rank of the best in-region candidate, ties pessimistic.</param>
/// <param name="BestOffset">Offset of the highest score (first in row-major order among equal scores).</param>
/// <param name="BestScore">The highest score, NaN if all are NaN.</param>
/// <param name="TrueRegionScore">The highest score inside the true region, NaN if all of those are NaN.</param>
public readonly record struct QueryRank(int Rank, SearchOffset BestOffset, float BestScore, float TrueRegionScore)
{
    /// <summary>Prediction error, Rank - 1.</summary>
    public int Error => Rank - 1;
}
