using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.Learning;

/// <summary>
/// A learned similarity that describes every voxel of an image by a unit-length feature vector (one network branch per
/// modality) and scores a fixed and a moving position by the cosine of their vectors, optionally plus a trained weight
/// times LCC. <see cref="FeatureSimilarityModel"/> (2D patches) implements it; a volumetric model implements it with
/// <see cref="FeatureMapDimension"/> 3. Any such model drives <c>Register-Image</c> (the registration engine samples the
/// feature maps through the transform), 2D images with a 2D model and volumes with a 3D one.
/// </summary>
public interface IFeatureMapModel
{
    /// <summary>The name shown in results.</summary>
    string Name { get; }

    /// <summary>Side of the square (2D) or cube (3D) one feature vector describes: the receptive field.</summary>
    int PatchSize { get; }

    /// <summary>2 for square patches of 2D images, 3 for cubes of volumes.</summary>
    int FeatureMapDimension { get; }

    /// <summary>What the score adds to the cosine.</summary>
    FeatureScoreAnchor Anchor { get; }

    /// <summary>The trained weight of the anchor term (0 without one).</summary>
    double AnchorWeight { get; }

    /// <summary>Half side of the anchor's LCC windows in voxels.</summary>
    int AnchorWindowRadius { get; }

    /// <summary>
    /// The unit-length feature vector of every patch of <paramref name="image"/> from one branch, on the image's grid
    /// (voxels whose patch does not fit hold zero vectors). Intensities are scaled by <paramref name="range"/> (the
    /// image's own range when null), as in training.
    /// </summary>
    FeatureMaps ComputeFeatureMaps(MedicalImage image, FeatureBranch branch, IntensityRange? range, CancellationToken cancellationToken = default);
}
