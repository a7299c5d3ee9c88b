using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;

namespace DeepSim.Evaluation;

/// <summary>
/// The prediction-error protocol of Cheng, Zhang and Zheng ("Deep similarity learning for multimodal medical
/// images"): for each of N query centres in the fixed image, every moving patch within +-R voxels is scored; the
/// prediction error is the rank of the best-scoring candidate inside the true (2T+1) x (2T+1) region among all
/// (2R+1)^2 candidates, minus 1 (0 = the top candidate lies in the true region).
/// </summary>
/// <remarks>
/// Ties are broken pessimistically: every candidate outside the true region whose score is greater than or equal
/// to the best in-region score ranks ahead of it, so a metric that gives all candidates the same score gets the
/// worst possible error, (2R+1)^2 - (2T+1)^2, rather than a lucky 0. NaN scores count as the worst possible score
/// (below every number): a NaN outside the region never ranks ahead of a number, and if every in-region score is
/// NaN the query gets the worst error. The true region is centred on offset (0, 0): the images must be aligned.
/// </remarks>
public static class PredictionErrorProtocol
{
    /// <summary>
    /// Picks <paramref name="count"/> distinct centres at random among the true voxels of a region-of-interest mask
    /// (row-major, x fastest, sizeX * sizeY * sizeZ values) that lie at least <paramref name="margin"/> voxels from
    /// the x and y borders. The same arguments always give the same centres, in the same order.
    /// </summary>
    /// <exception cref="ArgumentException">The mask has the wrong length or too few eligible voxels.</exception>
    public static IReadOnlyList<PatchCenter> SelectCentres(bool[] mask, int sizeX, int sizeY, int count, int seed, int margin, int sizeZ = 1)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.LongLength != (long)sizeX * sizeY * sizeZ)
        {
            throw new ArgumentException($"The mask holds {mask.LongLength} values but the image is {sizeX}x{sizeY}x{sizeZ}.", nameof(mask));
        }

        var candidates = new List<PatchCenter>();
        for (var z = 0; z < sizeZ; z++)
        {
            for (var y = 0; y < sizeY; y++)
            {
                for (var x = 0; x < sizeX; x++)
                {
                    if (mask[x + (sizeX * (y + (sizeY * z)))])
                    {
                        candidates.Add(new PatchCenter(x, y, z));
                    }
                }
            }
        }

        return SelectCentres(candidates, sizeX, sizeY, count, seed, margin);
    }

    /// <summary>As <see cref="SelectCentres(bool[], int, int, int, int, int, int)"/>, with the settings' count, seed and margin (R + P/2).</summary>
    public static IReadOnlyList<PatchCenter> SelectCentres(bool[] mask, int sizeX, int sizeY, PredictionErrorOptions options, int sizeZ = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return SelectCentres(mask, sizeX, sizeY, options.Count, options.Seed, options.Margin, sizeZ);
    }

    /// <summary>
    /// Picks <paramref name="count"/> distinct centres at random from a candidate list (duplicates count once),
    /// keeping only those at least <paramref name="margin"/> voxels from the x and y borders of a sizeX x sizeY
    /// image. Selection is a partial Fisher-Yates shuffle of the eligible candidates (in the order given) driven by
    /// <c>new Random(seed)</c>, whose seeded sequence .NET keeps stable, so the same seed gives the same centres.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than <paramref name="count"/> candidates are eligible.</exception>
    public static IReadOnlyList<PatchCenter> SelectCentres(IReadOnlyList<PatchCenter> candidates, int sizeX, int sizeY, int count, int seed, int margin)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(margin);
        var seen = new HashSet<PatchCenter>();
        var eligible = new List<PatchCenter>();
        foreach (var c in candidates)
        {
            if (c.X >= margin && c.Y >= margin && c.X < sizeX - margin && c.Y < sizeY - margin && seen.Add(c))
            {
                eligible.Add(c);
            }
        }

        if (eligible.Count < count)
        {
            throw new ArgumentException($"Only {eligible.Count} of {candidates.Count} candidate centres lie in the region of interest at least {margin} voxels from the border of the {sizeX}x{sizeY} image; {count} are needed. Use fewer queries or a smaller search radius.", nameof(candidates));
        }

        var random = new Random(seed);
        var pool = eligible.ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }

        return pool[..count];
    }

    /// <summary>
    /// Ranks one query's search window (row-major (2R+1)^2 scores, offset (dx, dy) at (dy + R) * W + dx + R).
    /// </summary>
    public static QueryRank RankQuery(ReadOnlySpan<float> scores, int radius, int tolerance)
    {
        var w = (2 * radius) + 1;
        if (scores.Length != w * w)
        {
            throw new ArgumentException($"A search window of radius {radius} holds {w * w} scores, got {scores.Length}.", nameof(scores));
        }

        if (tolerance < 0 || tolerance > radius)
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, $"Tolerance must be between 0 and the radius {radius}.");
        }

        var inBest = float.NegativeInfinity;
        var inBestRaw = float.NaN;
        var bestIndex = 0;
        var best = float.NegativeInfinity;
        for (var i = 0; i < scores.Length; i++)
        {
            var v = scores[i];
            if (float.IsNaN(v))
            {
                continue;
            }

            if (v > best || (float.IsNaN(scores[bestIndex]) && v == best))
            {
                best = v;
                bestIndex = i;
            }

            var dx = (i % w) - radius;
            var dy = (i / w) - radius;
            if (Math.Abs(dx) <= tolerance && Math.Abs(dy) <= tolerance && (float.IsNaN(inBestRaw) || v > inBest))
            {
                inBest = v;
                inBestRaw = v;
            }
        }

        var ahead = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var dx = (i % w) - radius;
            var dy = (i / w) - radius;
            if (Math.Abs(dx) <= tolerance && Math.Abs(dy) <= tolerance)
            {
                continue;
            }

            var s = float.IsNaN(scores[i]) ? float.NegativeInfinity : scores[i];
            if (s >= inBest)
            {
                ahead++;
            }
        }

        return new QueryRank(ahead + 1, new SearchOffset((bestIndex % w) - radius, (bestIndex / w) - radius), scores[bestIndex], inBestRaw);
    }

    /// <summary>
    /// Runs the protocol for each metric on the same centres: scores every query's search window
    /// (<see cref="ISimilarityMetric.ScoreSearchWindows"/>) and ranks it. One result per metric, in order.
    /// 3D images are searched within the z-slice of each centre.
    /// </summary>
    /// <exception cref="ArgumentException">A metric needs another patch size, or the images differ in size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A centre is closer than R + P/2 to the x/y border.</exception>
    public static IReadOnlyList<PredictionErrorResult> Run(
        IReadOnlyList<ISimilarityMetric> metrics,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        PredictionErrorOptions? options = null,
        IProgress<PredictionErrorProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(fixedImage);
        ArgumentNullException.ThrowIfNull(movingImage);
        ArgumentNullException.ThrowIfNull(centres);
        options ??= new PredictionErrorOptions();
        options.Validate();
        if (centres.Count == 0)
        {
            throw new ArgumentException("At least one query centre is needed.", nameof(centres));
        }

        foreach (var metric in metrics)
        {
            if (metric.RequiredPatchSize is int required && required != options.PatchSize)
            {
                throw new ArgumentException($"Metric '{metric.Name}' works on {required}x{required} patches but the protocol uses {options.PatchSize}x{options.PatchSize}.", nameof(metrics));
            }
        }

        var w = options.WindowWidth;
        var scores = new float[centres.Count * w * w];
        var results = new List<PredictionErrorResult>(metrics.Count);
        for (var m = 0; m < metrics.Count; m++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var metric = metrics[m];
            var index = m;
            var queryProgress = progress is null ? null : new ForwardingProgress(done => progress.Report(new PredictionErrorProgress(metric.Name, index, metrics.Count, done, centres.Count)));
            Patches.NonFinitePatches.ScoreSearchWindows(metric, fixedImage, movingImage, centres, options.PatchSize, options.SearchRadius, scores, queryProgress, cancellationToken);
            var errors = new PatchPredictionError[centres.Count];
            for (var q = 0; q < centres.Count; q++)
            {
                var rank = RankQuery(scores.AsSpan(q * w * w, w * w), options.SearchRadius, options.Tolerance);
                errors[q] = new PatchPredictionError(centres[q], rank.Rank, rank.Error, rank.BestOffset, rank.BestScore, rank.TrueRegionScore);
            }

            results.Add(PredictionErrorResult.FromErrors(metric.Name, errors, options));
        }

        return results;
    }

    /// <summary>Reports synchronously (no synchronisation-context hop), so counts arrive as they happen.</summary>
    private sealed class ForwardingProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
