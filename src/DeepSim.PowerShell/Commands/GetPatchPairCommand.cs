using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Similarity;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Samples matching and non-matching patch pairs from co-registered fixed/moving images, as the paper does.</para>
/// <para type="description">For each fixed/moving image pair, Get-PatchPair samples Count positive pairs (the same centre in both images) with centres in a region of interest (by default "in or around the skull": bone-intensity voxels of the fixed image dilated by 3 voxels), and for each positive one negative pair: the same fixed patch with a moving patch from a random position outside the positive's 3x3 neighbourhood (or, with -NegativeSampling Neighbourhood, within -NegativeRadius of it: hard negatives). Patches never leave the image. Images of different size or geometry are refused (DeepSim does not resample silently). Image pairs come as -Fixed/-Moving or from the pipeline as objects with Fixed and Moving properties (Import-ImagePair); with -Seed, pair number i uses seed Seed + i, so a data set of many slices gives one reproducible stream of pairs.</para>
/// </summary>
/// <example>
/// <code>$ct = Import-MedicalImage ./CT/2004.png; $mr = Import-MedicalImage ./MR/2004.png
/// Get-PatchPair -Fixed $ct -Moving $mr -Count 2000 -Seed 42 | Group-Object Label</code>
/// <para>The paper's training set from one CT/MR slice pair: 2,000 positives around the skull and 2,000 random negatives.</para>
/// </example>
/// <example>
/// <code>$t1 = Import-MedicalImage ../shared/data/mr-t1-pd-slice/BrainT1Slice.png
/// $pd = Import-MedicalImage ../shared/data/mr-t1-pd-slice/BrainProtonDensitySlice.png
/// Get-PatchPair -Fixed $t1 -Moving $pd -Region Foreground -Count 500 -NegativeSampling Neighbourhood -NegativeRadius 20 -Seed 1</code>
/// <para>T1 against PD has no bone: centres in the head (Otsu foreground), with hard negatives from within 20 pixels.</para>
/// </example>
/// <example>
/// <code>$ct = Import-MedicalImage ../shared/data/mni-templates-3d/scct.nii; $t1 = Import-MedicalImage ../shared/data/mni-templates-3d/avg152T1.nii
/// Get-PatchPair -Fixed $ct -Moving $t1 -Volumetric -Region Foreground -Count 2000 -NegativeSampling Neighbourhood -NegativeRadius 8 -Seed 1</code>
/// <para>3D: cubic 7x7x7 patches of two volumes (343 voxels each), negatives from the 17x17x17 cube around each positive.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PatchPair")]
[OutputType(typeof(PatchPair))]
public sealed class GetPatchPairCommand : RegionCmdlet
{
    private int _pairIndex;
    private int _baseSeed;

    #region Parameters

    /// <summary>The fixed image (e.g. CT). Binds the Fixed property of piped objects.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public MedicalImage Fixed { get; set; } = null!;

    /// <summary>The moving image (e.g. MR) on the same grid. Binds the Moving property of piped objects.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public MedicalImage Moving { get; set; } = null!;

    /// <summary>Side length of the square patches (of the cubes with -Volumetric); odd. Default 17 (the paper's), 7 with -Volumetric.</summary>
    [Parameter]
    public int PatchSize { get; set; } = 17;

    /// <summary>Positive pairs per image pair; as many negatives are added. Default 2000.</summary>
    [Parameter]
    [ValidateRange(1, 10_000_000)]
    public int Count { get; set; } = 2000;

    /// <summary>Seed for reproducible sampling; without it a random seed is drawn and shown with -Verbose.</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Random (the paper's, default) or Neighbourhood (hard negatives within -NegativeRadius).</summary>
    [Parameter]
    public NegativeSampling NegativeSampling { get; set; } = NegativeSampling.Random;

    /// <summary>Radius for Neighbourhood negatives, in voxels. Default 40 (the evaluation's search radius).</summary>
    [Parameter]
    [ValidateRange(2, 10_000)]
    public int NegativeRadius { get; set; } = 40;

    /// <summary>
    /// 3D patches: cubic PatchSize^3 patches of volumes (default side 7: 343 voxels, about a 17x17 square's 289) with
    /// centres at least PatchSize/2 voxels from every border, z included; Neighbourhood negatives come from the cube of
    /// -NegativeRadius around the positive, outside its 3x3x3 neighbourhood. A 2D image gives a DimensionMismatch error.
    /// </summary>
    [Parameter]
    public SwitchParameter Volumetric { get; set; }

    #endregion

    #region Overrides

    /// <summary>Chooses the base seed.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Volumetric && !MyInvocation.BoundParameters.ContainsKey(nameof(PatchSize)))
        {
            PatchSize = MetricPatchSize.DefaultVolumetric;
        }

        if (!MedicalImage.IsValidPatchSize(PatchSize))
        {
            // The same for every image pair: a set-up mistake, so stop.
            ThrowTerminating(ErrorIds.InvalidPatchSize, ErrorCategory.InvalidArgument, PatchSize, $"Patch size {PatchSize} is invalid: it must be odd and positive (the paper uses 17).");
        }

        _baseSeed = Seed ?? Random.Shared.Next();
        WriteVerbose($"Sampling with seed {_baseSeed}.");
    }

    /// <summary>Samples one image pair.</summary>
    protected override void ProcessRecord()
    {
        var region = RegionOptions;
        var options = new PatchSamplingOptions
        {
            PatchSize = PatchSize,
            Count = Count,
            Seed = unchecked(_baseSeed + _pairIndex),
            Region = region.Kind,
            Threshold = region.Threshold,
            DilationRadius = region.DilationRadius,
            Negatives = NegativeSampling,
            NegativeRadius = NegativeRadius,
            Dimension = Volumetric ? 3 : 2,
        };
        _pairIndex++;
        IReadOnlyList<PatchPair> pairs;
        try
        {
            pairs = PatchSampler.Sample(Fixed, Moving, options, region.Mask, StopToken);
        }
        catch (PatchSamplingException e)
        {
            WriteError(e.ErrorId, ErrorMapping.Category(e.Error), new ImagePair(Fixed.Name, Fixed, Moving), e.Message, e);
            return;
        }

        WriteVerbose($"{Fixed.Name} / {Moving.Name}: {pairs.Count} pairs (seed {options.Seed}).");
        foreach (var p in pairs)
        {
            WriteObject(p);
        }
    }

    #endregion
}
