using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// One validated <see cref="ISimilarityMetric.ScoreSearchWindows"/> call: geometry helpers and a deterministic
/// parallel loop over the queries (each query writes only its own block of the output, so the result does not
/// depend on the number of threads or their scheduling).
/// </summary>
internal sealed class SearchWindowJob
{
    public SearchWindowJob(MedicalImage fixedImage, MedicalImage movingImage, IReadOnlyList<PatchCenter> centres, int patchSize, int radius, int scoreLength)
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

        Fixed = fixedImage;
        Moving = movingImage;
        Centres = centres;
        PatchSize = patchSize;
        Half = patchSize / 2;
        Radius = radius;
        Width = (2 * radius) + 1;
        SizeX = fixedImage.SizeX;
        SizeY = fixedImage.SizeY;
        SliceLength = SizeX * SizeY;
        var need = (long)centres.Count * Width * Width;
        if (scoreLength < need)
        {
            throw new ArgumentException($"The score buffer holds {scoreLength} values but {centres.Count} queries x {Width}x{Width} candidates need {need}.", "scores");
        }

        var reach = Half + radius;
        foreach (var c in centres)
        {
            if (c.X - reach < 0 || c.Y - reach < 0 || c.X + reach >= SizeX || c.Y + reach >= SizeY || c.Z < 0 || c.Z >= fixedImage.SizeZ)
            {
                throw new ArgumentOutOfRangeException(nameof(centres), c, $"Query centre {c} is too close to the border of the {SizeX}x{SizeY}x{fixedImage.SizeZ} image for a {patchSize}x{patchSize} patch searched within +-{radius} (needs {reach} voxels on each side).");
            }
        }
    }

    public MedicalImage Fixed { get; }

    public MedicalImage Moving { get; }

    public IReadOnlyList<PatchCenter> Centres { get; }

    public int PatchSize { get; }

    public int Half { get; }

    public int Radius { get; }

    /// <summary>Side of the search window, 2R + 1.</summary>
    public int Width { get; }

    public int SizeX { get; }

    public int SizeY { get; }

    public int SliceLength { get; }

    public int Candidates => Width * Width;

    /// <summary>Index of the top-left voxel of the patch centred at (x, y, z).</summary>
    public int PatchOrigin(int x, int y, int z) => (z * SliceLength) + ((y - Half) * SizeX) + (x - Half);

    /// <summary>The distinct slices the queries touch.</summary>
    public int[] Slices() => [.. Centres.Select(c => c.Z).Distinct().Order()];

    /// <summary>Copies the patch at the given top-left index into a row-major buffer.</summary>
    public void CopyPatch(ReadOnlySpan<float> voxels, int origin, Span<float> patch)
    {
        for (var r = 0; r < PatchSize; r++)
        {
            voxels.Slice(origin + (r * SizeX), PatchSize).CopyTo(patch.Slice(r * PatchSize, PatchSize));
        }
    }

    /// <summary>
    /// Runs <paramref name="scoreQuery"/> for every query (in parallel, with one state per worker), reports the
    /// number of queries completed and stops on cancellation.
    /// </summary>
    public void ForEachQuery<TState>(
        int maxDegreeOfParallelism,
        Func<TState> createState,
        Action<int, TState> scoreQuery,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        var completed = 0;
        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = maxDegreeOfParallelism <= 0 ? -1 : maxDegreeOfParallelism,
        };
        Parallel.For(
            0,
            Centres.Count,
            options,
            createState,
            (q, _, state) =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                scoreQuery(q, state);
                var done = Interlocked.Increment(ref completed);
                progress?.Report(done);
                return state;
            },
            _ => { });
    }
}
