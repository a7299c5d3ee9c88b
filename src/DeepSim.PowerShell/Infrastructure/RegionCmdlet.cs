using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>
/// Base of the cmdlets that pick patch centres in a region of interest of the fixed image: -Region, -Threshold,
/// -DilationRadius and -Mask, declared once here and handed to the core as one <see cref="Patches.RegionOptions"/>.
/// </summary>
public abstract class RegionCmdlet : DeepSimCmdlet
{
    /// <summary>Where the patch centres lie (in Get-PatchPair, the positive pairs' centres): Skull (default, bone of the fixed image dilated), Foreground (Otsu), All.</summary>
    [Parameter]
    public RegionKind Region { get; set; } = RegionKind.Skull;

    /// <summary>Intensity threshold for the Skull or Foreground region, overriding the automatic one (300 HU for CT in Hounsfield units, else 80% of the range for Skull; Otsu for Foreground).</summary>
    [Parameter]
    public float? Threshold { get; set; }

    /// <summary>Dilation of the skull region in voxels. Default 3.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int DilationRadius { get; set; } = 3;

    /// <summary>A mask image on the fixed image's grid: the patch centres lie where it is non-zero. Overrides -Region.</summary>
    [Parameter]
    public MedicalImage? Mask { get; set; }

    /// <summary>The region parameters as the core's options record.</summary>
    protected RegionOptions RegionOptions => new() { Kind = Region, Threshold = Threshold, DilationRadius = DilationRadius, Mask = Mask };
}
