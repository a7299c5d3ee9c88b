namespace DeepSim.Patches;

/// <summary>What prevents sampling patch pairs from two images.</summary>
public enum PatchSamplingError
{
    /// <summary>The images differ in size or geometry (DeepSim never resamples silently).</summary>
    ImageGeometryMismatch,

    /// <summary>The patch size is even, not positive, or larger than the image.</summary>
    InvalidPatchSize,

    /// <summary>The region of interest holds no voxel whose patch fits inside the image.</summary>
    EmptyRegion,

    /// <summary>The mask's grid differs from the images'.</summary>
    MaskMismatch,

    /// <summary>3D (cubic) patches were asked of a 2D image, or a volume is too thin for the cube.</summary>
    DimensionMismatch,
}

/// <summary>Sampling patch pairs is impossible for these inputs.</summary>
public sealed class PatchSamplingException(PatchSamplingError error, string message) : Exception(message)
{
    /// <summary>The kind of problem.</summary>
    public PatchSamplingError Error { get; } = error;

    /// <summary>The ErrorId a cmdlet reports.</summary>
    public string ErrorId => Error.ToString();
}
