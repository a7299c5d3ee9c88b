using DeepSim.Imaging;

namespace DeepSim.Patches;

/// <summary>
/// Where patch centres may lie: a region kind with its threshold and dilation, or a user's mask that overrides them.
/// One record for every place that takes -Region, -Threshold, -DilationRadius and -Mask.
/// </summary>
public sealed record RegionOptions
{
    /// <summary>Region kind (ignored when <see cref="Mask"/> is given). Default Skull.</summary>
    public RegionKind Kind { get; init; } = RegionKind.Skull;

    /// <summary>Threshold override for <see cref="RegionKind.Skull"/> and <see cref="RegionKind.Foreground"/>; null picks the automatic one.</summary>
    public float? Threshold { get; init; }

    /// <summary>In-plane dilation of the skull region, in voxels. Default 3.</summary>
    public int DilationRadius { get; init; } = 3;

    /// <summary>A mask image on the image's grid: the region is where it is non-zero. Overrides <see cref="Kind"/>.</summary>
    public MedicalImage? Mask { get; init; }

    /// <summary>The region of interest of <paramref name="image"/> these options describe.</summary>
    /// <exception cref="PatchSamplingException">The mask's grid differs from the image's (<see cref="PatchSamplingError.MaskMismatch"/>).</exception>
    public RegionOfInterest For(MedicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (Mask is null)
        {
            return RegionOfInterest.Create(image, Kind, Threshold, DilationRadius);
        }

        if (Mask.SizeX != image.SizeX || Mask.SizeY != image.SizeY || Mask.SizeZ != image.SizeZ)
        {
            throw new PatchSamplingException(PatchSamplingError.MaskMismatch, $"Mask {Mask.Name} is {Mask.SizeX}x{Mask.SizeY}x{Mask.SizeZ} but {image.Name} is {image.SizeX}x{image.SizeY}x{image.SizeZ}.");
        }

        return RegionOfInterest.FromMask(Mask);
    }
}
