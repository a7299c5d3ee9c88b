using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// A similarity measure between a fixed and a moving patch: higher means more similar.
/// Implemented by the classical measures (NMI, MI, NCC, LCC, correlation ratio) and by a learned model,
/// so that every cmdlet that asks for a metric takes either.
/// </summary>
public interface ISimilarityMetric
{
    /// <summary>Name shown in tables ("NMI", "LCC", or the model's name).</summary>
    string Name { get; }

    /// <summary>The patch side length this metric requires (a learned model's), or null if any odd size works.</summary>
    int? RequiredPatchSize { get; }

    /// <summary>
    /// The patch dimension this metric requires: 2 for a learned model of square patches, 3 for one of cubic patches,
    /// null (the default) when it scores either (the classical measures).
    /// </summary>
    int? RequiredPatchDimension => null;

    /// <summary>Scores each pair. Higher is more similar.</summary>
    void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default);

    /// <summary>
    /// For each query centre c, scores the fixed patch centred at c against the moving patches centred at
    /// c + (dx, dy) for dx, dy in [-radius, radius]. The caller guarantees every patch lies inside the images.
    /// Output layout: scores[q * W * W + (dy + radius) * W + (dx + radius)], W = 2 * radius + 1.
    /// <paramref name="progress"/> receives the number of queries completed so far.
    /// </summary>
    void ScoreSearchWindows(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// The 3D search (<c>Measure-PredictionError -Volumetric</c>): for each query centre c of a volume, scores the cubic
    /// fixed patch (side <paramref name="patchSize"/>) centred at c against the cubic moving patches centred at
    /// c + (dx, dy, dz) for dx, dy, dz in [-radius, radius]. The caller guarantees every cube lies inside the volumes.
    /// Output layout: scores[q * W^3 + ((dz + radius) * W + (dy + radius)) * W + (dx + radius)], W = 2 * radius + 1.
    /// The default scores every candidate pair with <see cref="ScorePairs"/>
    /// (<see cref="SearchWindowScoring.ScoreCubesByPairs"/>); a metric with a faster exact path overrides it.
    /// </summary>
    void ScoreSearchCubes(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default) =>
        SearchWindowScoring.ScoreCubesByPairs(this, fixedImage, movingImage, centres, patchSize, radius, scores, progress, cancellationToken);
}
