namespace DeepSim.Imaging;

/// <summary>
/// The integer translation that best aligns a moving image to a fixed image, found by
/// <c>ImageAlignment.EstimateTranslation</c>.
/// </summary>
/// <remarks>
/// Sign convention: the content of the moving image is displaced by (<see cref="Dx"/>, <see cref="Dy"/>) voxels relative
/// to the fixed image, that is moving(x + Dx, y + Dy) shows what fixed(x, y) shows (x = column, y = row, both growing
/// away from voxel (0, 0)). <c>ImageAlignment.Shift(fixed, Dx, Dy)</c> reproduces the moving image's position, and
/// <c>ImageAlignment.Shift(moving, -Dx, -Dy)</c> (which is what <c>DeepSim.Registration.ImageAlignment.Correct</c> does) brings the
/// moving image onto the fixed one.
/// </remarks>
/// <param name="Dx">Displacement of the moving image's content along x (columns), in voxels.</param>
/// <param name="Dy">Displacement of the moving image's content along y (rows), in voxels.</param>
/// <param name="MutualInformation">Mutual information (nats) of the overlap at the best shift.</param>
/// <param name="MutualInformationAtZero">Mutual information (nats) of the images as they are (shift (0, 0)).</param>
/// <param name="AtSearchBorder">
/// True when the peak lies on the edge of the search range (|Dx| or |Dy| equals the maximum shift): the true optimum may
/// lie outside the range, so the estimate is unreliable.
/// </param>
public sealed record TranslationEstimate(int Dx, int Dy, double MutualInformation, double MutualInformationAtZero, bool AtSearchBorder)
{
    /// <summary>How much the best shift raises the mutual information over leaving the images as they are (nats).</summary>
    public double MutualInformationGain => MutualInformation - MutualInformationAtZero;
}
