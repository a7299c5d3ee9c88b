using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads a model file written by Export-SimilarityModel: a SimilarityModel, a FeatureSimilarityModel or an SdaeModel.</para>
/// <para type="description">Import-SimilarityModel reads DeepSim model files and returns the model they hold, ready to use as a -Metric (a SimilarityModel or FeatureSimilarityModel) or as -Pretrained (an SdaeModel). The file's checksum is verified; a corrupt, truncated, foreign or newer-version file is a non-terminating error naming the file and the problem (ErrorIds ModelFileNotAModelFile, ModelFileTruncated, ModelFileChecksumMismatch, ModelFileUnsupportedVersion ...).</para>
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
[Cmdlet(VerbsData.Import, "SimilarityModel")]
[OutputType(typeof(SimilarityModel), typeof(FeatureSimilarityModel), typeof(SdaeModel))]
public sealed class ImportSimilarityModelCommand : DeepSimCmdlet
{
    #region Parameters

    /// <summary>Model files to read (wildcards allowed). Binds FullName from piped files.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    #endregion

    #region Overrides

    /// <summary>Reads each file.</summary>
    protected override void ProcessRecord()
    {
        foreach (var input in Path)
        {
            foreach (var file in ResolveExistingPaths(input, "ModelFileNotFound"))
            {
                try
                {
                    WriteObject(ModelFile.Load(file));
                }
                catch (ModelFileException e)
                {
                    WriteError("ModelFile" + e.Error, ErrorCategory.InvalidData, file, e.Message, e);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    WriteError("ModelFileReadFailed", ErrorCategory.ReadError, file, $"Cannot read '{file}': {e.Message}", e);
                }
            }
        }
    }

    #endregion
}
