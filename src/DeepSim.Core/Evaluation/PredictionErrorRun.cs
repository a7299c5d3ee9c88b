using DeepSim.Imaging;

namespace DeepSim.Evaluation;

/// <summary>Why an image pair contributed no centres to a prediction-error run.</summary>
public enum PredictionErrorSkipReason
{
    /// <summary>The images differ in size or geometry.</summary>
    ImageGeometryMismatch,

    /// <summary>The patch size does not fit the images.</summary>
    InvalidPatchSize,

    /// <summary>The mask's grid differs from the fixed image's.</summary>
    MaskMismatch,

    /// <summary>No voxel of the region lies far enough from the border for the whole search window.</summary>
    EmptyRegion,

    /// <summary>The region holds fewer eligible centres than the pair's share of the count.</summary>
    TooFewCenters,

    /// <summary>The protocol refused the settings for this pair (e.g. the tolerance is not below the search radius).</summary>
    InvalidSetup,

    /// <summary>A 3D (volumetric) search was asked of a 2D image pair, or the volume is too thin for the cube.</summary>
    DimensionMismatch,
}

/// <summary>An image pair a prediction-error run left out, and why; the other pairs were still measured.</summary>
/// <param name="Pair">The pair.</param>
/// <param name="Reason">Why it was left out.</param>
/// <param name="Message">A message for the user.</param>
/// <param name="Exception">The exception behind it, if any.</param>
public sealed record SkippedImagePair(ImagePair Pair, PredictionErrorSkipReason Reason, string Message, Exception? Exception = null);

/// <summary>What a prediction-error run over image pairs gives: one pooled result per metric, and the pairs it left out.</summary>
/// <param name="Results">One result per metric, in the metrics' order, pooled over the measured pairs; empty when no pair was measured.</param>
/// <param name="Skipped">The pairs left out, in input order.</param>
public sealed record PredictionErrorRun(IReadOnlyList<PredictionErrorResult> Results, IReadOnlyList<SkippedImagePair> Skipped);

/// <summary>Progress of a prediction-error run over image pairs.</summary>
/// <param name="Pair">Name of the pair being measured (<see cref="ImagePair.Name"/>).</param>
/// <param name="PairIndex">Zero-based index of that pair.</param>
/// <param name="PairCount">Number of pairs.</param>
/// <param name="QueriesBefore">Centres of the pairs measured before this one.</param>
/// <param name="PairQueries">Centres of this pair.</param>
/// <param name="TotalQueries">Centres asked for over all pairs.</param>
/// <param name="Current">Progress within this pair.</param>
public readonly record struct PredictionErrorRunProgress(string Pair, int PairIndex, int PairCount, int QueriesBefore, int PairQueries, int TotalQueries, PredictionErrorProgress Current)
{
    /// <summary>Overall completion in percent.</summary>
    public double PercentComplete => 100.0 * (QueriesBefore + (PairQueries * Current.PercentComplete / 100.0)) / Math.Max(1, TotalQueries);
}
