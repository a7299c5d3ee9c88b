using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;

namespace DeepSim.Evaluation;

/// <summary>
/// The scores of one query's search window: the fixed patch at <see cref="Center"/> against every moving patch at
/// Center + (dx, dy), |dx|, |dy| &lt;= <see cref="Radius"/>.
/// </summary>
public sealed class SimilarityMap
{
    private readonly float[] _scores;

    /// <summary>Creates a map; the scores (row-major, (2R+1)^2, offset (dx, dy) at (dy + R) * W + dx + R) are copied.</summary>
    public SimilarityMap(string metric, PatchCenter center, int radius, ReadOnlySpan<float> scores, SearchOffset? trueOffset = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        var w = (2 * radius) + 1;
        if (scores.Length != w * w)
        {
            throw new ArgumentException($"A map of radius {radius} holds {w * w} scores, got {scores.Length}.", nameof(scores));
        }

        if (trueOffset is { } t && t.ChebyshevLength > radius)
        {
            throw new ArgumentOutOfRangeException(nameof(trueOffset), t, $"The true offset lies outside the +-{radius} window.");
        }

        Metric = metric;
        Center = center;
        Radius = radius;
        _scores = scores.ToArray();
        TrueOffset = trueOffset;
        var rank = PredictionErrorProtocol.RankQuery(_scores, radius, 0);
        BestOffset = rank.BestOffset;
        BestScore = rank.BestScore;
    }

    /// <summary>Name of the metric that produced the scores.</summary>
    public string Metric { get; }

    /// <summary>The query centre in the fixed image.</summary>
    public PatchCenter Center { get; }

    /// <summary>Search radius R.</summary>
    public int Radius { get; }

    /// <summary>Side of the map, 2R + 1.</summary>
    public int Width => (2 * Radius) + 1;

    /// <summary>A copy of the scores, row-major: offset (dx, dy) at (dy + R) * W + dx + R.</summary>
    public float[] Scores => (float[])_scores.Clone();

    /// <summary>Read-only view of the scores in the same layout as <see cref="Scores"/>.</summary>
    public ReadOnlySpan<float> ScoreSpan => _scores;

    /// <summary>Offset of the highest score (first in row-major order among equal ones; NaN counts as lowest).</summary>
    public SearchOffset BestOffset { get; }

    /// <summary>The highest score (NaN if every score is NaN).</summary>
    public float BestScore { get; }

    /// <summary>Where the corresponding moving patch really is, if known (offset (0, 0) for aligned images).</summary>
    public SearchOffset? TrueOffset { get; }

    /// <summary>The score at offset (dx, dy).</summary>
    public float this[int dx, int dy]
    {
        get
        {
            if (Math.Abs(dx) > Radius || Math.Abs(dy) > Radius)
            {
                throw new ArgumentOutOfRangeException(nameof(dx), $"Offset ({dx},{dy}) lies outside the +-{Radius} window.");
            }

            return _scores[((dy + Radius) * Width) + dx + Radius];
        }
    }

    /// <summary>The scores as a 2D array indexed [dy + R, dx + R] (rows are y).</summary>
    public float[,] ToArray2D()
    {
        var result = new float[Width, Width];
        for (var row = 0; row < Width; row++)
        {
            for (var col = 0; col < Width; col++)
            {
                result[row, col] = _scores[(row * Width) + col];
            }
        }

        return result;
    }

    /// <summary>
    /// Builds the map of one query from a <see cref="ISimilarityMetric.ScoreSearchWindows"/> output block.
    /// </summary>
    public static SimilarityMap FromSearchWindow(string metric, PatchCenter center, int radius, ReadOnlySpan<float> scores, SearchOffset? trueOffset = null) =>
        new(metric, center, radius, scores, trueOffset);

    /// <summary>Scores one query's search window with a metric and returns its map.</summary>
    public static SimilarityMap Compute(
        ISimilarityMetric metric,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        PatchCenter center,
        int patchSize,
        int radius,
        SearchOffset? trueOffset = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var w = (2 * radius) + 1;
        var scores = new float[w * w];
        NonFiniteScoring.ScoreSearchWindows(metric, fixedImage, movingImage, [center], patchSize, radius, scores, null, cancellationToken);
        return new SimilarityMap(metric.Name, center, radius, scores, trueOffset);
    }

    /// <summary>
    /// Scores the search windows of many queries in one call (the metric's fast path) and returns one map per
    /// centre, in order; <paramref name="trueOffset"/> (e.g. (0, 0) for aligned images) is attached to each.
    /// </summary>
    public static IReadOnlyList<SimilarityMap> ComputeAll(
        ISimilarityMetric metric,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centers,
        int patchSize,
        int radius,
        SearchOffset? trueOffset = null,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(centers);
        var w = (2 * radius) + 1;
        var scores = new float[centers.Count * w * w];
        NonFiniteScoring.ScoreSearchWindows(metric, fixedImage, movingImage, centers, patchSize, radius, scores, progress, cancellationToken);
        return [.. centers.Select((c, q) => new SimilarityMap(metric.Name, c, radius, scores.AsSpan(q * w * w, w * w), trueOffset))];
    }

    /// <inheritdoc />
    public override string ToString() => $"{Metric} at {Center}, +-{Radius}, best {BestOffset}";
}
