using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// Base of the intensity-based measures (NMI, MI, NCC, LCC, correlation ratio): a per-pair definition
/// (<see cref="ScorePatches"/>, also the reference the tests compare against) and a fast search-window path.
/// Scores are always finite: a degenerate (constant) patch gets the documented "no evidence of similarity" value
/// of each measure instead of NaN.
/// </summary>
/// <remarks>
/// <see cref="ScoreSearchWindows"/> splits the queries between threads: the output is the same for any thread count,
/// but <c>progress</c> is called from worker threads, possibly out of order (a report of 5 can arrive after 6), so a
/// consumer should keep the largest value seen. Scores are written as float32, so two candidates whose scores differ
/// by less than float precision tie (and ties rank pessimistically in the prediction-error protocol).
/// </remarks>
public abstract class ClassicalSimilarityMetric : ISimilarityMetric
{
    /// <summary>Creates a metric with the given display name.</summary>
    protected ClassicalSimilarityMetric(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Any odd patch size works for the classical measures: always null.</summary>
    public int? RequiredPatchSize => null;

    /// <summary>
    /// Most threads <see cref="ScoreSearchWindows"/> uses (queries are split between them); 0 or negative means
    /// one per core. The output is identical for every value.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <summary>
    /// Scores one pair of patches of side <paramref name="patchSize"/>, x fastest: square (patchSize^2 values) or
    /// cubic (patchSize^3 values, 3D).
    /// The ranges are the whole source images' (used by <see cref="IntensityRangeMode.Image"/> binning).
    /// </summary>
    public abstract double ScorePatches(ReadOnlySpan<float> fixedPatch, ReadOnlySpan<float> movingPatch, int patchSize, IntensityRange fixedRange, IntensityRange movingRange);

    /// <inheritdoc />
    public void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (scores.Length < pairs.Count)
        {
            throw new ArgumentException($"The score buffer holds {scores.Length} values for {pairs.Count} pairs.", nameof(scores));
        }

        for (var i = 0; i < pairs.Count; i++)
        {
            if ((i & 255) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var p = pairs[i];
            scores[i] = ScorePatches(p.FixedPatch, p.MovingPatch, p.PatchSize, p.FixedRange, p.MovingRange);
        }
    }

    /// <inheritdoc />
    public void ScoreSearchWindows(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var job = new SearchWindowJob(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        ValidatePatchSize(patchSize);
        var buffer = new float[centres.Count * job.Candidates];
        ScoreSearchWindowsCore(job, buffer, progress, cancellationToken);
        buffer.CopyTo(scores);
    }

    /// <summary>
    /// The 3D search (<see cref="ISimilarityMetric.ScoreSearchCubes"/>): every candidate cube is scored with
    /// <see cref="ScorePatches"/> on the flattened cubes (NMI, MI, NCC and the correlation ratio do not depend on the
    /// voxel order; LCC uses 3D box windows on cubic patches), queries split between threads as in
    /// <see cref="ScoreSearchWindows"/>; the output is identical for every thread count and equal to
    /// <see cref="SearchWindowScoring.ScoreCubesByPairs"/>.
    /// </summary>
    public void ScoreSearchCubes(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        IReadOnlyList<PatchCenter> centres,
        int patchSize,
        int radius,
        Span<float> scores,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var w = SearchWindowScoring.ValidateCubes(fixedImage, movingImage, centres, patchSize, radius, scores.Length);
        ValidatePatchSize(patchSize);
        var candidates = w * w * w;
        var n = MedicalImage.PatchLength(patchSize, 3);
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var buffer = new float[centres.Count * candidates];
        var completed = 0;
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = MaxDegreeOfParallelism <= 0 ? -1 : MaxDegreeOfParallelism };
        Parallel.For(
            0,
            centres.Count,
            options,
            () => (Fixed: new float[n], Moving: new float[n]),
            (q, _, s) =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                var c = centres[q];
                fixedImage.CopyCubicPatch(c.X, c.Y, c.Z, patchSize, s.Fixed);
                var k = q * candidates;
                for (var dz = -radius; dz <= radius; dz++)
                {
                    for (var dy = -radius; dy <= radius; dy++)
                    {
                        for (var dx = -radius; dx <= radius; dx++, k++)
                        {
                            movingImage.CopyCubicPatch(c.X + dx, c.Y + dy, c.Z + dz, patchSize, s.Moving);
                            buffer[k] = (float)ScorePatches(s.Fixed, s.Moving, patchSize, fixedRange, movingRange);
                        }
                    }
                }

                progress?.Report(Interlocked.Increment(ref completed));
                return s;
            },
            _ => { });
        buffer.CopyTo(scores);
    }

    /// <summary>Throws when this measure cannot work on patches of the given size.</summary>
    protected virtual void ValidatePatchSize(int patchSize)
    {
    }

    /// <summary>Fills scores[q * W * W + (dy + R) * W + (dx + R)] for every query of the job.</summary>
    private protected abstract void ScoreSearchWindowsCore(SearchWindowJob job, float[] scores, IProgress<int>? progress, CancellationToken cancellationToken);

    /// <summary>True when a sum of squared deviations is zero up to rounding (a constant patch or window).</summary>
    internal static bool IsFlat(double centredSumOfSquares, double rawSumOfSquares) =>
        !(centredSumOfSquares > 1e-12 * rawSumOfSquares) || !(centredSumOfSquares > 0);

    /// <inheritdoc />
    public override string ToString() => Name;
}
