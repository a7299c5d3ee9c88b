using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>Search-window scoring under DeepSim's non-finite policy (see <see cref="NonFinitePatches"/>).</summary>
public static class NonFiniteScoring
{
    /// <summary>
    /// <see cref="ISimilarityMetric.ScoreSearchWindows"/> under DeepSim's non-finite policy: images without NaN or
    /// infinite voxels go straight to the metric; otherwise the metric scores finite copies and every candidate that
    /// touches a non-finite voxel (in its moving patch, or in its query's fixed patch) gets NaN.
    /// </summary>
    public static void ScoreSearchWindows(
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
        ArgumentNullException.ThrowIfNull(centres);
        var badFixed = NonFinitePatches.Of(fixedImage);
        var badMoving = NonFinitePatches.Of(movingImage);
        if (badFixed is null && badMoving is null)
        {
            metric.ScoreSearchWindows(fixedImage, movingImage, centres, patchSize, radius, scores, progress, cancellationToken);
            return;
        }

        metric.ScoreSearchWindows(
            badFixed is null ? fixedImage : NonFinitePatches.Finite(fixedImage),
            badMoving is null ? movingImage : NonFinitePatches.Finite(movingImage),
            centres, patchSize, radius, scores, progress, cancellationToken);
        var half = patchSize / 2;
        var w = (2 * radius) + 1;
        for (var q = 0; q < centres.Count; q++)
        {
            var c = centres[q];
            var block = scores.Slice(q * w * w, w * w);
            if (badFixed is not null && badFixed.Touches(c, half))
            {
                block.Fill(float.NaN);
                continue;
            }

            if (badMoving is null)
            {
                continue;
            }

            for (var dy = -radius; dy <= radius; dy++)
            {
                for (var dx = -radius; dx <= radius; dx++)
                {
                    if (badMoving.Touches(new PatchCenter(c.X + dx, c.Y + dy, c.Z), half))
                    {
                        block[((dy + radius) * w) + dx + radius] = float.NaN;
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ISimilarityMetric.ScoreSearchCubes"/> (3D search) under the same non-finite policy as
    /// <see cref="ScoreSearchWindows"/>: candidates whose moving cube, or whose query's fixed cube, touches a NaN or
    /// infinite voxel get NaN.
    /// </summary>
    public static void ScoreSearchCubes(
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
        ArgumentNullException.ThrowIfNull(centres);
        var badFixed = NonFinitePatches.Of(fixedImage);
        var badMoving = NonFinitePatches.Of(movingImage);
        metric.ScoreSearchCubes(
            badFixed is null ? fixedImage : NonFinitePatches.Finite(fixedImage),
            badMoving is null ? movingImage : NonFinitePatches.Finite(movingImage),
            centres, patchSize, radius, scores, progress, cancellationToken);
        if (badFixed is null && badMoving is null)
        {
            return;
        }

        var half = patchSize / 2;
        var w = (2 * radius) + 1;
        var n = w * w * w;
        for (var q = 0; q < centres.Count; q++)
        {
            var c = centres[q];
            var block = scores.Slice(q * n, n);
            if (badFixed is not null && badFixed.TouchesCube(c, half))
            {
                block.Fill(float.NaN);
                continue;
            }

            if (badMoving is null)
            {
                continue;
            }

            var k = 0;
            for (var dz = -radius; dz <= radius; dz++)
            {
                for (var dy = -radius; dy <= radius; dy++)
                {
                    for (var dx = -radius; dx <= radius; dx++, k++)
                    {
                        if (badMoving.TouchesCube(new PatchCenter(c.X + dx, c.Y + dy, c.Z + dz), half))
                        {
                            block[k] = float.NaN;
                        }
                    }
                }
            }
        }
    }
}
