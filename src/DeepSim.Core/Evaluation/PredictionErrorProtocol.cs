using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;

namespace DeepSim.Evaluation;

/// <summary>
/// The prediction-error protocol of Cheng, Zhang and Zheng ("Deep similarity learning for multimodal medical
/// images"): for each of N query centers in the fixed image, every moving patch within +-R voxels is scored; the
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
    /// Picks <paramref name="count"/> distinct centers at random among the true voxels of a region-of-interest mask
    /// (row-major, x fastest, sizeX * sizeY * sizeZ values) that lie at least <paramref name="margin"/> voxels from
    /// the x and y borders. The same arguments always give the same centers, in the same order.
    /// </summary>
    /// <exception cref="ArgumentException">The mask has the wrong length or too few eligible voxels.</exception>
    public static IReadOnlyList<PatchCenter> SelectCenters(bool[] mask, int sizeX, int sizeY, int count, int seed, int margin, int sizeZ = 1)
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

        return SelectCenters(candidates, sizeX, sizeY, count, seed, margin);
    }

    /// <summary>As <see cref="SelectCenters(bool[], int, int, int, int, int, int)"/>, with the settings' count, seed and margin (R + P/2; in z too for a 3D search).</summary>
    public static IReadOnlyList<PatchCenter> SelectCenters(bool[] mask, int sizeX, int sizeY, PredictionErrorOptions options, int sizeZ = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Dimension == 3)
        {
            // 3D search: the whole search cube must fit in z as well.
            var margin = options.Margin;
            var zRange = Enumerable.Range(margin, Math.Max(0, sizeZ - (2 * margin))).ToHashSet();
            var inZ = (bool[])mask.Clone();
            for (var z = 0; z < sizeZ; z++)
            {
                if (!zRange.Contains(z) && mask.LongLength == (long)sizeX * sizeY * sizeZ)
                {
                    Array.Clear(inZ, sizeX * sizeY * z, sizeX * sizeY);
                }
            }

            return SelectCenters(inZ, sizeX, sizeY, options.Count, options.Seed, margin, sizeZ);
        }

        return SelectCenters(mask, sizeX, sizeY, options.Count, options.Seed, options.Margin, sizeZ);
    }

    /// <summary>
    /// Picks <paramref name="count"/> distinct centers at random from a candidate list (duplicates count once),
    /// keeping only those at least <paramref name="margin"/> voxels from the x and y borders of a sizeX x sizeY
    /// image. Selection is a partial Fisher-Yates shuffle of the eligible candidates (in the order given) driven by
    /// <c>new Random(seed)</c>, whose seeded sequence .NET keeps stable, so the same seed gives the same centers.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than <paramref name="count"/> candidates are eligible.</exception>
    public static IReadOnlyList<PatchCenter> SelectCenters(IReadOnlyList<PatchCenter> candidates, int sizeX, int sizeY, int count, int seed, int margin)
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
            throw new ArgumentException($"Only {eligible.Count} of {candidates.Count} candidate centers lie in the region of interest at least {margin} voxels from the border of the {sizeX}x{sizeY} image; {count} are needed. Use fewer queries or a smaller search radius.", nameof(candidates));
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
    /// Ranks one query's search window: <paramref name="dimension"/> 2, (2R+1)^2 scores, offset (dx, dy) at
    /// (dy + R) * W + dx + R; 3, (2R+1)^3 scores, offset (dx, dy, dz) at ((dz + R) * W + dy + R) * W + dx + R. The true
    /// region is every offset with all components within the tolerance (3 x 3, or 3 x 3 x 3, for T = 1).
    /// </summary>
    public static QueryRank RankQuery(ReadOnlySpan<float> scores, int radius, int tolerance, int dimension = 2)
    {
        if (dimension is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "A search window is 2D or 3D.");
        }

        var w = (2 * radius) + 1;
        var expected = dimension == 3 ? w * w * w : w * w;
        if (scores.Length != expected)
        {
            throw new ArgumentException(dimension == 3
                ? $"A 3D search window of radius {radius} holds {expected} scores, got {scores.Length}."
                : $"A search window of radius {radius} holds {expected} scores, got {scores.Length}.", nameof(scores));
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

            if (InTrueRegion(i, w, radius, tolerance, dimension) && (float.IsNaN(inBestRaw) || v > inBest))
            {
                inBest = v;
                inBestRaw = v;
            }
        }

        var ahead = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (InTrueRegion(i, w, radius, tolerance, dimension))
            {
                continue;
            }

            var s = float.IsNaN(scores[i]) ? float.NegativeInfinity : scores[i];
            if (s >= inBest)
            {
                ahead++;
            }
        }

        var offset = new SearchOffset((bestIndex % w) - radius, ((bestIndex / w) % w) - radius, dimension == 3 ? (bestIndex / (w * w)) - radius : 0);
        return new QueryRank(ahead + 1, offset, scores[bestIndex], inBestRaw);
    }

    /// <summary>True when window index i (x fastest, then y, then z in 3D) lies within the tolerance of offset 0.</summary>
    private static bool InTrueRegion(int i, int w, int radius, int tolerance, int dimension) =>
        Math.Abs((i % w) - radius) <= tolerance && Math.Abs(((i / w) % w) - radius) <= tolerance && (dimension == 2 || Math.Abs((i / (w * w)) - radius) <= tolerance);

    /// <summary>
    /// Runs the protocol for each metric on the same centers: scores every query's search window
    /// (<see cref="ISimilarityMetric.ScoreSearchWindows"/>) and ranks it. One result per metric, in order.
    /// With <see cref="PredictionErrorOptions.Dimension"/> 2, 3D images are searched within the z-slice of each centre;
    /// with 3, cubic patches are searched in a cube (<see cref="ISimilarityMetric.ScoreSearchCubes"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A metric needs another patch size, or the images differ in size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A centre is closer than R + P/2 to the x/y border (any border in 3D).</exception>
    public static IReadOnlyList<PredictionErrorResult> Run(
        IReadOnlyList<ISimilarityMetric> metrics,
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centers,
        PredictionErrorOptions? options = null,
        IProgress<PredictionErrorProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(fixedImage);
        ArgumentNullException.ThrowIfNull(movingImage);
        ArgumentNullException.ThrowIfNull(centers);
        options ??= new PredictionErrorOptions();
        options.Validate();
        if (centers.Count == 0)
        {
            throw new ArgumentException("At least one query centre is needed.", nameof(centers));
        }

        try
        {
            MetricPatchSize.Reconcile(metrics, options.PatchSize);
        }
        catch (PatchSizeConflictException e)
        {
            throw new ArgumentException(e.Message, nameof(metrics), e);
        }

        foreach (var metric in metrics)
        {
            if (metric.RequiredPatchDimension is int d && d != options.Dimension)
            {
                throw new ArgumentException(d == 3
                    ? $"Metric '{metric.Name}' scores cubic (3D) patches: measure it with a 3D search (-Volumetric) on volumes."
                    : $"Metric '{metric.Name}' scores square (2D) patches: measure it without -Volumetric, or train a model on cubic patches (Get-PatchPair -Volumetric).", nameof(metrics));
            }
        }

        var n = options.CandidatesPerQuery;
        var scores = new float[(long)centers.Count * n];
        var results = new List<PredictionErrorResult>(metrics.Count);
        for (var m = 0; m < metrics.Count; m++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var metric = metrics[m];
            var index = m;
            var queryProgress = progress is null ? null : new ForwardingProgress<int>(done => progress.Report(new PredictionErrorProgress(metric.Name, index, metrics.Count, done, centers.Count)));
            if (options.Dimension == 3)
            {
                NonFiniteScoring.ScoreSearchCubes(metric, fixedImage, movingImage, centers, options.PatchSize, options.SearchRadius, scores, queryProgress, cancellationToken);
            }
            else
            {
                NonFiniteScoring.ScoreSearchWindows(metric, fixedImage, movingImage, centers, options.PatchSize, options.SearchRadius, scores, queryProgress, cancellationToken);
            }

            var errors = new PatchPredictionError[centers.Count];
            for (var q = 0; q < centers.Count; q++)
            {
                var rank = RankQuery(scores.AsSpan(q * n, n), options.SearchRadius, options.Tolerance, options.Dimension);
                errors[q] = new PatchPredictionError(centers[q], rank.Rank, rank.Error, rank.BestOffset, rank.BestScore, rank.TrueRegionScore);
            }

            results.Add(PredictionErrorResult.FromErrors(metric.Name, errors, options));
        }

        return results;
    }

    /// <summary>
    /// Runs the protocol for each metric over several image pairs and pools the errors: the options' count is spread
    /// over the pairs (<see cref="PredictionErrorRunOptions.SplitCount"/>), each pair's centers are drawn from its
    /// region (<see cref="PredictionErrorRunOptions.Region"/>) with its own seed
    /// (<see cref="PredictionErrorRunOptions.PairSeed"/>), and each metric gets one result over all measured pairs.
    /// A pair that cannot be measured (mask or geometry mismatch, empty region, too few centers, settings it refuses)
    /// is left out and listed in <see cref="PredictionErrorRun.Skipped"/>; the others are still measured.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static PredictionErrorRun Run(
        IReadOnlyList<ISimilarityMetric> metrics,
        IReadOnlyList<ImagePair> pairs,
        PredictionErrorRunOptions options,
        IProgress<PredictionErrorRunProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        if (metrics.Count == 0)
        {
            throw new ArgumentException("At least one metric is needed.", nameof(metrics));
        }

        var protocol = options.Protocol;
        var skipped = new List<SkippedImagePair>();
        var perMetric = metrics.Select(_ => new List<PatchPredictionError>()).ToList();
        if (pairs.Count == 0)
        {
            return new PredictionErrorRun([], skipped);
        }

        var counts = PredictionErrorRunOptions.SplitCount(protocol.Count, pairs.Count);
        var totalQueries = counts.Sum();
        var done = 0;
        for (var i = 0; i < pairs.Count; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            var pair = pairs[i];
            var (f, m) = (pair.Fixed, pair.Moving);
            RegionOfInterest region;
            try
            {
                PatchSampler.Validate(f, m, protocol.PatchSize, protocol.Dimension);
                region = options.Region.For(f);
            }
            catch (PatchSamplingException e)
            {
                skipped.Add(new SkippedImagePair(pair, SkipReason(e.Error), e.Message, e));
                continue;
            }

            var candidates = protocol.Dimension == 3 ? region.Centers(protocol.Margin, protocol.Margin) : region.Centers(protocol.Margin);
            if (candidates.Count == 0)
            {
                skipped.Add(new SkippedImagePair(pair, PredictionErrorSkipReason.EmptyRegion, $"No voxel of the region ({region.Description}) in {f.Name} is at least {protocol.Margin} voxels (search radius + half patch) from the border; use a smaller -SearchRadius or another -Region."));
                continue;
            }

            IReadOnlyList<PatchCenter> centers;
            try
            {
                centers = SelectCenters(candidates, f.SizeX, f.SizeY, counts[i], PredictionErrorRunOptions.PairSeed(protocol.Seed, i), protocol.Margin);
            }
            catch (ArgumentException e)
            {
                skipped.Add(new SkippedImagePair(pair, PredictionErrorSkipReason.TooFewCenters, $"{f.Name}: {e.Message}", e));
                continue;
            }

            var before = done;
            var index = i;
            var pairProgress = progress is null ? null : new ForwardingProgress<PredictionErrorProgress>(p => progress.Report(new PredictionErrorRunProgress(pair.Name, index, pairs.Count, before, centers.Count, totalQueries, p)));
            IReadOnlyList<PredictionErrorResult> results;
            try
            {
                results = Run(metrics, f, m, centers, protocol with { Count = centers.Count }, pairProgress, cancellationToken);
            }
            catch (ArgumentException e)
            {
                skipped.Add(new SkippedImagePair(pair, PredictionErrorSkipReason.InvalidSetup, e.Message, e));
                continue;
            }

            done += centers.Count;
            for (var k = 0; k < results.Count; k++)
            {
                perMetric[k].AddRange(results[k].Errors);
            }
        }

        if (perMetric[0].Count == 0)
        {
            return new PredictionErrorRun([], skipped);
        }

        var source = options.SourceName ?? (pairs.Count == 1 ? pairs[0].Name : $"{pairs.Count} image pairs");
        return new PredictionErrorRun(
            [.. metrics.Select((metric, k) => PredictionErrorResult.FromErrors(metric.Name, perMetric[k], protocol with { Count = perMetric[k].Count }) with { Source = source })],
            skipped);
    }

    private static PredictionErrorSkipReason SkipReason(PatchSamplingError error) => error switch
    {
        PatchSamplingError.ImageGeometryMismatch => PredictionErrorSkipReason.ImageGeometryMismatch,
        PatchSamplingError.MaskMismatch => PredictionErrorSkipReason.MaskMismatch,
        PatchSamplingError.EmptyRegion => PredictionErrorSkipReason.EmptyRegion,
        PatchSamplingError.DimensionMismatch => PredictionErrorSkipReason.DimensionMismatch,
        _ => PredictionErrorSkipReason.InvalidPatchSize,
    };

    /// <summary>Reports synchronously (no synchronisation-context hop), so counts arrive as they happen.</summary>
    private sealed class ForwardingProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
