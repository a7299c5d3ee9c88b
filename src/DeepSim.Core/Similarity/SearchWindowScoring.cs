using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// The straightforward search: cut every candidate patch out and score the pairs with
/// <see cref="ISimilarityMetric.ScorePairs"/>. It is the reference the fast paths are tested against, and a
/// ready-made <see cref="ISimilarityMetric.ScoreSearchWindows"/> for a metric without a fast path.
/// </summary>
public static class SearchWindowScoring
{
    /// <summary>
    /// Scores the search windows pair by pair (same contract and output layout as
    /// <see cref="ISimilarityMetric.ScoreSearchWindows"/>), one query at a time.
    /// </summary>
    public static void ScoreByPairs(
        ISimilarityMetric metric,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var job = new SearchWindowJob(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var fixedSource = fixedImage.SourcePath ?? fixedImage.Name;
        var movingSource = movingImage.SourcePath ?? movingImage.Name;
        var w = job.Width;
        var pairs = new PatchPair[w * w];
        var buffer = new double[w * w];
        for (var q = 0; q < centres.Count; q++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var c = centres[q];
            var fixedPatch = fixedImage.CopyPatch(c.X, c.Y, c.Z, patchSize);
            for (var dy = -radius; dy <= radius; dy++)
            {
                for (var dx = -radius; dx <= radius; dx++)
                {
                    var mc = new PatchCenter(c.X + dx, c.Y + dy, c.Z);
                    pairs[((dy + radius) * w) + dx + radius] = new PatchPair(
                        fixedPatch, movingImage.CopyPatch(mc.X, mc.Y, mc.Z, patchSize), patchSize,
                        dx == 0 && dy == 0 ? PatchLabel.Match : PatchLabel.NonMatch,
                        c, mc, fixedSource, movingSource, fixedRange, movingRange);
                }
            }

            metric.ScorePairs(pairs, buffer, cancellationToken);
            for (var k = 0; k < buffer.Length; k++)
            {
                scores[(q * w * w) + k] = (float)buffer[k];
            }

            progress?.Report(q + 1);
        }
    }
}
