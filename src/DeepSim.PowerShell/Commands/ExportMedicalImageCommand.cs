using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Writes a MedicalImage as NIfTI-1 (.nii, .nii.gz) or MetaImage (.mha, .mhd + .raw) with its geometry.</para>
/// <para type="description">Export-MedicalImage writes the image's float32 voxels bit for bit, with its spacing, origin and direction. The format follows the extension of -Path: .nii and .nii.gz write NIfTI-1 (the LPS geometry DeepSim uses is converted to NIfTI's RAS sform and qform exactly as Import-MedicalImage converts it back, so nibabel, FSL and ITK read the same affine), .mha writes a single-file MetaImage and .mhd writes a MetaImage header with its .raw data file beside it. Files are written under a temporary name and renamed, so a failed or interrupted write (Ctrl+C) never leaves half a file and never damages an existing one. An existing file is replaced only with -Force; -WhatIf and -Confirm are honoured. Several piped images need several paths: give -Path a script block, e.g. { "out/$($_.Name).nii.gz" }.</para>
/// </summary>
/// <example>
/// <code>Import-MedicalImage ./scan.mha | Export-MedicalImage -Path ./scan.nii.gz</code>
/// <para>Converts a MetaImage volume to a compressed NIfTI file with the same voxels and geometry.</para>
/// </example>
/// <example>
/// <code>Invoke-ImageResample -Image $mr -Transform $result.Transform -Reference $ct | Export-MedicalImage -Path ./mr-on-ct.nii -Force -PassThru</code>
/// <para>Writes a registered MR resampled onto the CT grid, replacing an earlier result, and returns the written file.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./in/*.nii | Import-MedicalImage | Export-MedicalImage -Path { "./out/$([IO.Path]::GetFileNameWithoutExtension($_.Name)).mha" }</code>
/// <para>Converts every NIfTI file of a folder to MetaImage, one output path per piped image.</para>
/// </example>
[Cmdlet(VerbsData.Export, "MedicalImage", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportMedicalImageCommand : DeepSimCmdlet
{
    #region Parameters

    /// <summary>The image to write (from Import-MedicalImage, Invoke-ImageResample or any cmdlet that returns a MedicalImage).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public MedicalImage InputObject { get; set; } = null!;

    /// <summary>
    /// The file to write; its extension (.nii, .nii.gz, .mha, .mhd) chooses the format. A script block is evaluated per
    /// piped image, with the image as $_, and must return the path.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public object Path { get; set; } = null!;

    /// <summary>Replace existing files (for .mhd, the header and its .raw data file), read-only ones included (their permissions are kept).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the written file's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    #endregion

    #region Overrides

    /// <summary>Writes one image.</summary>
    protected override void ProcessRecord()
    {
        var text = Path switch
        {
            ScriptBlock sb => string.Join(string.Empty, sb.InvokeWithContext(null, [new PSVariable("_", InputObject)]).Select(o => o?.ToString())),
            PSObject { BaseObject: ScriptBlock sb } => string.Join(string.Empty, sb.InvokeWithContext(null, [new PSVariable("_", InputObject)]).Select(o => o?.ToString())),
            _ => LanguagePrimitives.ConvertTo<string>(Path),
        };
        if (string.IsNullOrWhiteSpace(text))
        {
            WriteError(ErrorIds.ImageExportPathEmpty, ErrorCategory.InvalidArgument, InputObject, $"The -Path script block returned no path for image '{InputObject.Name}'.");
            return;
        }

        var path = ResolveOutputPath(text);
        var format = ImageWriters.FormatFor(path);
        if (format is null)
        {
            WriteError(
                ErrorIds.UnsupportedImageExtension,
                ErrorCategory.InvalidArgument,
                path,
                $"Cannot write '{path}': the extension names no format DeepSim writes ({string.Join(", ", ImageWriters.Extensions)}).",
                recommendedAction: "Use .nii or .nii.gz for NIfTI-1, .mha or .mhd for MetaImage.");
            return;
        }

        var existing = ImageWriters.FilesWritten(path).Where(File.Exists).ToList();
        if (existing.Count > 0 && !Force)
        {
            WriteError(
                ErrorIds.ImageFileExists,
                ErrorCategory.ResourceExists,
                existing[0],
                $"'{existing[0]}' exists; nothing was written. Use -Force to replace it.",
                recommendedAction: "Add -Force to replace the file, or choose another path.");
            return;
        }

        if (Directory.Exists(path))
        {
            WriteError(ErrorIds.ImageExportPathIsFolder, ErrorCategory.InvalidArgument, path, $"'{path}' is a folder; give a file name ending in {string.Join(", ", ImageWriters.Extensions)}.");
            return;
        }

        var action = $"Write {InputObject.SizeX}x{InputObject.SizeY}x{InputObject.SizeZ} image '{InputObject.Name}' as {format}";
        if (!ShouldProcess(path, existing.Count > 0 ? action + " (replacing the existing file)" : action))
        {
            return;
        }

        try
        {
            using var scope = DeepSim.IO.AtomicFile.ReplaceReadOnly(Force);
            ImageWriters.Write(InputObject, path, StopToken);
        }
        catch (DeepSim.IO.AtomicWriteRefusedException e)
        {
            WriteRefusal(ErrorIds.ImageFileReadOnly, ErrorIds.ImageFileNotARegularFile, e);
            return;
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (DirectoryNotFoundException e)
        {
            WriteError(ErrorIds.ImageExportFolderNotFound, ErrorCategory.ObjectNotFound, path, $"Cannot write '{path}': its folder does not exist.", e);
            return;
        }
        catch (ArgumentException e)
        {
            WriteError(ErrorIds.ImageNotWritable, ErrorCategory.InvalidData, InputObject, $"Cannot write '{InputObject.Name}' to '{path}': {e.Message}", e);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorIds.ImageExportWriteFailed, ErrorCategory.WriteError, path, $"Cannot write '{path}': {e.Message}", e);
            return;
        }

        WriteVerbose($"Wrote {format} image '{InputObject.Name}' ({InputObject.SizeX}x{InputObject.SizeY}x{InputObject.SizeZ}, {InputObject.Geometry}) to {path}.");
        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }

    #endregion
}
