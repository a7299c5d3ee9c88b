using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Saves a SimilarityModel or SdaeModel to one file (weights, layer sizes, normalisation, options, training history).</para>
/// <para type="description">Export-SimilarityModel writes the model to a single DeepSim model file, first to a temporary file in the same folder and then by renaming it, so an interrupted export never leaves a half-written model and never damages an existing one. An existing file is replaced unless -NoClobber is given; a read-only file only with -Force (its permissions are kept); a symbolic link is written through (its target is replaced, the link stays); a directory or device is refused. Temporary files left by a killed export are removed on the next export to that folder. -WhatIf and -Confirm are honoured. Import-SimilarityModel reads the file back; a round trip gives bit-identical scores.</para>
/// </summary>
/// <example>
/// <code>$model | Export-SimilarityModel -Path ./models/ct-mr.dsim</code>
/// <para>Saves a trained model.</para>
/// </example>
/// <example>
/// <code>Export-SimilarityModel -InputObject $sdae -Path ./models/sdae.dsim -WhatIf</code>
/// <para>Shows what would be written without writing.</para>
/// </example>
[Cmdlet(VerbsData.Export, "SimilarityModel", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportSimilarityModelCommand : DeepSimCmdlet
{
    #region Parameters

    /// <summary>The model to save: a SimilarityModel, a FeatureSimilarityModel (two-branch CNN), a TwoChannelSimilarityModel (two-channel CNN) or an SdaeModel.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>The file to write (conventionally *.dsim).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Do not replace an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace a read-only file (its permissions are kept). Without it a read-only target is an error (ModelFileReadOnly), as with PowerShell's own writers.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the file's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    #endregion

    #region Overrides

    /// <summary>Writes the model.</summary>
    protected override void ProcessRecord()
    {
        var model = InputObject is PSObject pso ? pso.BaseObject : InputObject;
        if (model is not (SimilarityModel or FeatureSimilarityModel or TwoChannelSimilarityModel or SdaeModel))
        {
            WriteError(ErrorIds.NotAModel, ErrorCategory.InvalidType, model, $"Export-SimilarityModel saves a SimilarityModel, a FeatureSimilarityModel, a TwoChannelSimilarityModel or an SdaeModel, not {model.GetType().FullName}.");
            return;
        }

        var path = ResolveOutputPath(Path);
        if (NoClobber && File.Exists(path))
        {
            WriteError(ErrorIds.ModelFileExists, ErrorCategory.ResourceExists, path, $"'{path}' exists and -NoClobber was given.");
            return;
        }

        var folder = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            WriteError(ErrorIds.ModelFolderNotFound, ErrorCategory.ObjectNotFound, path, $"Folder '{folder}' does not exist.");
            return;
        }

        if (!ShouldProcess(path, $"Write {model.GetType().Name}"))
        {
            return;
        }

        try
        {
            using var scope = DeepSim.IO.AtomicFile.ReplaceReadOnly(Force);
            ModelFile.Save(model, path);
        }
        catch (DeepSim.IO.AtomicWriteRefusedException e)
        {
            WriteRefusal(ErrorIds.ModelFileReadOnly, ErrorIds.ModelFileNotARegularFile, e);
            return;
        }
        catch (Exception e) when (ErrorMapping.IsIoFailure(e))
        {
            WriteIoError(ErrorIds.ModelFileWriteFailed, path, e, writing: true);
            return;
        }

        WriteVerbose($"Saved {model} to {path}.");
        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }

    #endregion
}
