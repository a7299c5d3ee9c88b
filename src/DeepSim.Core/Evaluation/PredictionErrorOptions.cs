using DeepSim.Imaging;

namespace DeepSim.Evaluation;

/// <summary>
/// Settings of the prediction-error protocol of Cheng, Zhang and Zheng: <see cref="Count"/> query patches of side
/// <see cref="PatchSize"/>, each searched over all (2R+1)^2 = 81 x 81 candidate offsets within
/// <see cref="SearchRadius"/>, a prediction counting as correct when it falls in the true (2T+1)^2 = 3 x 3 region.
/// </summary>
public sealed record PredictionErrorOptions
{
    /// <summary>Number of query centres (300 in the paper).</summary>
    public int Count { get; init; } = 300;

    /// <summary>Search radius R in voxels: candidates at offsets -R..R in x and y (40, i.e. 81 x 81, in the paper).</summary>
    public int SearchRadius { get; init; } = 40;

    /// <summary>Tolerance T: offsets with |dx|, |dy| &lt;= T form the true region (1, i.e. 3 x 3, in the paper).</summary>
    public int Tolerance { get; init; } = 1;

    /// <summary>Seed of the centre selection; the same seed gives the same centres for every metric.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Patch side (17 in the paper; odd).</summary>
    public int PatchSize { get; init; } = 17;

    /// <summary>
    /// 2 (default, the paper's): square patches searched in-plane, (2R+1)^2 candidates. 3: cubic PatchSize^3 patches of
    /// a volume searched in a cube, (2R+1)^3 candidates (R = 8: 4,913), the true region (2T+1)^3 (3 x 3 x 3).
    /// </summary>
    public int Dimension { get; init; } = 2;

    /// <summary>Smallest distance from a centre to the image border so that every candidate patch fits: R + P/2 (in z too in 3D).</summary>
    public int Margin => SearchRadius + (PatchSize / 2);

    /// <summary>Side of the search window, 2R + 1.</summary>
    public int WindowWidth => (2 * SearchRadius) + 1;

    /// <summary>Candidates per query: (2R+1)^2 in 2D, (2R+1)^3 in 3D.</summary>
    public int CandidatesPerQuery => Dimension == 3 ? WindowWidth * WindowWidth * WindowWidth : WindowWidth * WindowWidth;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for unusable settings.</summary>
    public void Validate()
    {
        if (Count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Count), Count, "At least one query centre is needed.");
        }

        MedicalImage.ThrowIfInvalidPatchSize(PatchSize);

        if (SearchRadius < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SearchRadius), SearchRadius, "Search radius must be at least 1.");
        }

        if (Dimension is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "The search is 2D (square patches, in-plane) or 3D (cubic patches, a cube of candidates).");
        }

        if (Tolerance < 0 || Tolerance >= SearchRadius)
        {
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, $"Tolerance must be between 0 and the search radius - 1 ({SearchRadius - 1}).");
        }
    }
}
