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

    /// <summary>
    /// Checks a 3D search (<see cref="ISimilarityMetric.ScoreSearchCubes"/>): equal volume sizes, a valid patch size,
    /// a score buffer of centres x (2R+1)^3 values, and every candidate cube inside the volumes. Returns W = 2R + 1.
    /// </summary>
    /// <exception cref="ArgumentException">The volumes differ in size, a volume is 2D, or the buffer is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A centre is closer than R + P/2 to a border (x, y or z).</exception>
    public static int ValidateCubes(MedicalImage fixedImage, MedicalImage movingImage, IReadOnlyList<PatchCenter> centres, int patchSize, int radius, int scoreLength)
    {
        ArgumentNullException.ThrowIfNull(fixedImage);
        ArgumentNullException.ThrowIfNull(movingImage);
        ArgumentNullException.ThrowIfNull(centres);
        MedicalImage.ThrowIfInvalidPatchSize(patchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        if (fixedImage.SizeX != movingImage.SizeX || fixedImage.SizeY != movingImage.SizeY || fixedImage.SizeZ != movingImage.SizeZ)
        {
            throw new ArgumentException($"Fixed image {fixedImage} and moving image {movingImage} must have the same size.", nameof(movingImage));
        }

        if (fixedImage.SizeZ == 1 && (patchSize > 1 || radius > 0))
        {
            throw new ArgumentException($"Image {fixedImage} is 2D: a 3D search needs volumes; search 2D images with ScoreSearchWindows (leave out -Volumetric).", nameof(fixedImage));
        }

        var w = (2 * radius) + 1;
        var need = (long)centres.Count * w * w * w;
        if (scoreLength < need)
        {
            throw new ArgumentException($"The score buffer holds {scoreLength} values but {centres.Count} queries x {w}^3 candidates need {need}.", "scores");
        }

        var reach = (patchSize / 2) + radius;
        foreach (var c in centres)
        {
            if (c.X - reach < 0 || c.Y - reach < 0 || c.Z - reach < 0 || c.X + reach >= fixedImage.SizeX || c.Y + reach >= fixedImage.SizeY || c.Z + reach >= fixedImage.SizeZ)
            {
                throw new ArgumentOutOfRangeException(nameof(centres), c, $"Query centre {c} is too close to the border of the {fixedImage.SizeX}x{fixedImage.SizeY}x{fixedImage.SizeZ} volume for a {patchSize}^3 patch searched within +-{radius} (needs {reach} voxels on each side, z included).");
            }
        }

        return w;
    }

    /// <summary>
    /// Scores the 3D search cubes pair by pair (same contract and output layout as
    /// <see cref="ISimilarityMetric.ScoreSearchCubes"/>), one query at a time: every candidate cube is cut out and
    /// the query's (2R+1)^3 pairs go to <see cref="ISimilarityMetric.ScorePairs"/> in one call.
    /// </summary>
    public static void ScoreCubesByPairs(
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
        var w = ValidateCubes(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var fixedSource = fixedImage.SourcePath ?? fixedImage.Name;
        var movingSource = movingImage.SourcePath ?? movingImage.Name;
        var candidates = w * w * w;
        var pairs = new PatchPair[candidates];
        var buffer = new double[candidates];
        for (var q = 0; q < centres.Count; q++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var c = centres[q];
            var fixedPatch = fixedImage.CopyCubicPatch(c.X, c.Y, c.Z, patchSize);
            var k = 0;
            for (var dz = -radius; dz <= radius; dz++)
            {
                for (var dy = -radius; dy <= radius; dy++)
                {
                    for (var dx = -radius; dx <= radius; dx++, k++)
                    {
                        var mc = new PatchCenter(c.X + dx, c.Y + dy, c.Z + dz);
                        pairs[k] = new PatchPair(
                            fixedPatch, movingImage.CopyCubicPatch(mc.X, mc.Y, mc.Z, patchSize), patchSize,
                            dx == 0 && dy == 0 && dz == 0 ? PatchLabel.Match : PatchLabel.NonMatch,
                            c, mc, fixedSource, movingSource, fixedRange, movingRange);
                    }
                }
            }

            metric.ScorePairs(pairs, buffer, cancellationToken);
            for (var i = 0; i < candidates; i++)
            {
                scores[(q * candidates) + i] = (float)buffer[i];
            }

            progress?.Report(q + 1);
        }
    }
}
