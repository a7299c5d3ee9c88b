using System.Management.Automation;
using DeepSim.Evaluation;
using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;

namespace DeepSim.PowerShell.Commands;

/// <summary>The similarity-map parameter set of Measure-PatchSimilarity.</summary>
[OutputType(typeof(SimilarityMap), ParameterSetName = [MapSet])]
public sealed partial class MeasurePatchSimilarityCommand
{
    private List<ISimilarityMetric> _mapMetrics = [];

    /// <summary>The fixed image (map mode).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MapSet)]
    [ValidateNotNull]
    public MedicalImage Fixed { get; set; } = null!;

    /// <summary>The moving image on the same grid (map mode).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MapSet)]
    [ValidateNotNull]
    public MedicalImage Moving { get; set; } = null!;

    /// <summary>Centre of the fixed patch as x, y (or x, y, z for a 3D image), in voxels (map mode).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MapSet)]
    [ValidateCount(2, 3)]
    public int[] Center { get; set; } = [];

    /// <summary>Search radius R: the map covers (2R+1)^2 moving positions. Default 40.</summary>
    [Parameter(ParameterSetName = MapSet)]
    [ValidateRange(0, 1000)]
    public int SearchRadius { get; set; } = 40;

    /// <summary>Where the true match lies relative to the centre, as dx, dy (marked on exported maps). Default 0, 0 (co-registered images).</summary>
    [Parameter(ParameterSetName = MapSet)]
    [ValidateCount(2, 2)]
    public int[] TrueOffset { get; set; } = [0, 0];

    /// <summary>Patch side length (map mode); default the model's, else 17.</summary>
    [Parameter(ParameterSetName = MapSet)]
    public int? PatchSize { get; set; }

    private void BeginMap(List<ISimilarityMetric> metrics)
    {
        _mapMetrics = metrics;
        var required = metrics.Select(m => m.RequiredPatchSize).OfType<int>().Distinct().ToList();
        if (required.Count > 1 || (PatchSize is int p && required.Count == 1 && required[0] != p))
        {
            ThrowTerminating("PatchSizeMismatch", ErrorCategory.InvalidArgument, Metric, $"The metrics need patch sizes {string.Join(", ", required)}{(PatchSize is int q ? $" but -PatchSize is {q}" : string.Empty)}.");
        }

        PatchSize ??= required.Count == 1 ? required[0] : 17;
        if (PatchSize < 1 || PatchSize % 2 == 0)
        {
            ThrowTerminating("InvalidPatchSize", ErrorCategory.InvalidArgument, PatchSize, $"Patch size {PatchSize} is invalid: it must be odd and positive.");
        }
    }

    private void EndMap()
    {
        var size = PatchSize!.Value;
        try
        {
            PatchSampler.Validate(Fixed, Moving, size);
        }
        catch (PatchSamplingException e)
        {
            ThrowTerminating(e.ErrorId, ErrorCategory.InvalidArgument, new ImagePair(Fixed.Name, Fixed, Moving), e.Message, e);
        }

        var centre = new PatchCenter(Center[0], Center[1], Center.Length > 2 ? Center[2] : 0);
        var margin = SearchRadius + (size / 2);
        if (centre.X < margin || centre.Y < margin || centre.X >= Fixed.SizeX - margin || centre.Y >= Fixed.SizeY - margin || centre.Z < 0 || centre.Z >= Fixed.SizeZ)
        {
            ThrowTerminating("CenterOutOfRange", ErrorCategory.InvalidArgument, Center, $"Centre {centre} is too close to the border of {Fixed.Name} ({Fixed.SizeX}x{Fixed.SizeY}x{Fixed.SizeZ}): a search radius of {SearchRadius} with {size}x{size} patches needs x in [{margin}, {Fixed.SizeX - margin - 1}] and y in [{margin}, {Fixed.SizeY - margin - 1}].");
        }

        var truth = new SearchOffset(TrueOffset[0], TrueOffset[1]);
        if (truth.ChebyshevLength > SearchRadius)
        {
            ThrowTerminating("TrueOffsetOutOfRange", ErrorCategory.InvalidArgument, TrueOffset, $"-TrueOffset {truth} lies outside the +-{SearchRadius} search window.");
        }

        foreach (var metric in _mapMetrics)
        {
            SimilarityMap map;
            try
            {
                map = SimilarityMap.Compute(metric, Fixed, Moving, centre, size, SearchRadius, truth, StopToken);
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }

            WriteScoringWarnings();
            WriteObject(map);
        }
    }
}
