using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads a model file written by Export-SimilarityModel: a SimilarityModel, a FeatureSimilarityModel, a TwoChannelSimilarityModel or an SdaeModel.</para>
/// <para type="description">Import-SimilarityModel reads DeepSim model files and returns the model they hold, ready to use as a -Metric (a SimilarityModel, FeatureSimilarityModel or TwoChannelSimilarityModel) or as -Pretrained (an SdaeModel). The file's checksum is verified; a corrupt, truncated, foreign or newer-version file is a non-terminating error naming the file and the problem (ErrorIds ModelFileNotAModelFile, ModelFileTruncated, ModelFileChecksumMismatch, ModelFileUnsupportedVersion ...).</para>
/// </summary>
/// <example>
/// <code>$model = Import-SimilarityModel ./models/ct-mr.dsim
/// Measure-PredictionError -Metric $model, NMI -Fixed $ct -Moving $mr -Seed 1</code>
/// <para>Loads a trained model and compares it with NMI.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./models/*.dsim | Import-SimilarityModel | Format-Table Name, PatchSize, LayerSizes, BestEpoch</code>
/// <para>Lists the models of a folder.</para>
/// </example>
[Cmdlet(VerbsData.Import, "SimilarityModel", DefaultParameterSetName = PathSet)]
[OutputType(typeof(SimilarityModel), typeof(FeatureSimilarityModel), typeof(TwoChannelSimilarityModel), typeof(SdaeModel))]
public sealed class ImportSimilarityModelCommand : DeepSimCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    #region Parameters

    /// <summary>Model files to read (wildcards allowed; a pattern that matches nothing is an error).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Model files to read, taken literally (no wildcards: a name such as pair[1].dcm is that file). Binds FullName/PSPath from piped file objects, so files from Get-ChildItem are read whatever their names hold.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    #endregion

    #region Overrides

    /// <summary>Reads each file.</summary>
    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == LiteralPathSet;
        foreach (var input in literal ? LiteralPath : Path)
        {
            foreach (var file in ResolveExistingPaths(input, ErrorIds.ModelFileNotFound, literal))
            {
                try
                {
                    WriteObject(ModelFile.Load(file));
                }
                catch (ModelFileException e)
                {
                    WriteError(ErrorIds.ModelFilePrefix + e.Error, ErrorCategory.InvalidData, file, e.Message, e);
                }
                catch (OutOfMemoryException e)
                {
                    // Counts are checked against the file length before allocating; this is a real shortage of memory.
                    WriteError(ErrorIds.ModelFileTooLarge, ErrorCategory.ResourceUnavailable, file, $"Not enough memory to read '{DeepSim.IO.MessageText.Clean(file)}'.", e);
                }
                catch (Exception e) when (DeepSim.IO.IoFailure.Classify(e, file) is { } kind)
                {
                    var (id, category) = kind switch
                    {
                        DeepSim.IO.IoFailureKind.IsADirectory => (ErrorIds.ModelFileNotAFile, ErrorCategory.InvalidArgument),
                        DeepSim.IO.IoFailureKind.AccessDenied => (ErrorIds.ModelFileAccessDenied, ErrorCategory.PermissionDenied),
                        DeepSim.IO.IoFailureKind.NotFound => (ErrorIds.ModelFileNotFound, ErrorCategory.ObjectNotFound),
                        _ => (ErrorIds.ModelFileReadFailed, ErrorCategory.ReadError),
                    };
                    WriteError(id, category, file, $"Cannot read '{DeepSim.IO.MessageText.Clean(file)}': it {DeepSim.IO.IoFailure.Describe(kind, e)}.", e);
                }
            }
        }
    }

    #endregion
}
