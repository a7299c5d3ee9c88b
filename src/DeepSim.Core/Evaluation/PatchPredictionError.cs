using DeepSim.Patches;

namespace DeepSim.Evaluation;

/// <summary>
/// One query of the prediction-error protocol.
/// </summary>
/// <param name="Center">The query centre in the fixed image.</param>
/// <param name="Rank">
/// Rank (1 = best) of the best-scoring candidate inside the true region among all candidates, counting every
/// candidate outside the true region whose score is &gt;= it as ranked ahead (ties pessimistic).
/// </param>
/// <param name="Error">Prediction error, <see cref="Rank"/> - 1 (0 = the top candidate is in the true region).</param>
/// <param name="BestOffset">Offset of the highest-scoring candidate (the predicted displacement).</param>
/// <param name="BestScore">Its score (NaN when every score was NaN).</param>
/// <param name="TrueRegionScore">Best score inside the true region (NaN when all of them were NaN).</param>
public sealed record PatchPredictionError(PatchCenter Center, int Rank, int Error, SearchOffset BestOffset, float BestScore, float TrueRegionScore);
