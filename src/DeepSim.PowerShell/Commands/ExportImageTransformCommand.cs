using System.Management.Automation;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Registration;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Writes a transform (or a RegistrationResult's transform) to an ITK transform file (.tfm).</para>
/// <para type="description">Export-ImageTransform writes ITK's text format, "#Insight Transform File V1.0", which ITK, SimpleITK, 3D Slicer and ANTs read: one block per transform with its class (TranslationTransform_double_2_2, Euler2DTransform_double_2_2, Euler3DTransform_double_3_3, AffineTransform_double_N_N, BSplineTransform_double_N_N, or a CompositeTransform_double_N_N header followed by its parts, the last applied first), "Parameters:" in ITK's order (Euler2D: angle in radians, tx, ty; Euler3D: ax, ay, az, tx, ty, tz; affine: the matrix row by row, then the translation; B-spline: all x coefficients, then y (then z)) and "FixedParameters:" (the centre of rotation; for Euler3D also ComputeZYX; for B-spline the grid size, origin, spacing and direction). The transform maps fixed physical points (mm) to moving ones. The file is written to a temporary name and renamed; an existing file is only replaced with -Force. -WhatIf and -Confirm are honoured.</para>
/// </summary>
/// <example>
/// <code>Register-Image -Fixed $t1 -Moving $pd | Export-ImageTransform -Path ./pd-to-t1.tfm</code>
/// <para>Saves the result of a registration.</para>
/// </example>
/// <example>
/// <code>$result.Transform | Export-ImageTransform -Path ./pd-to-t1.tfm -Force -PassThru</code>
/// <para>Replaces an existing file and returns its FileInfo.</para>
/// </example>
[Cmdlet(VerbsData.Export, "ImageTransform", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportImageTransformCommand : DeepSimCmdlet
{
    #region Parameters

    /// <summary>The transform: an IImageTransform (from Import-ImageTransform or a result's Transform property) or a RegistrationResult.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>The file to write (conventionally *.tfm).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Replace an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the file's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    #endregion

    #region Overrides

    /// <summary>Writes the transform.</summary>
    protected override void ProcessRecord()
    {
        var value = InputObject is PSObject pso ? pso.BaseObject : InputObject;
        var transform = value switch
        {
            IImageTransform t => t,
            RegistrationResult r => r.Transform,
            AlignmentVerdict v => v.Transform,
            _ => null,
        };
        if (transform is null)
        {
            WriteError(ErrorIds.NotATransform, ErrorCategory.InvalidType, value, $"Export-ImageTransform writes a transform or a RegistrationResult, not {value.GetType().FullName}.");
            return;
        }

        var path = ResolveOutputPath(Path);
        if (File.Exists(path) && !Force)
        {
            WriteError(ErrorIds.TransformFileExists, ErrorCategory.ResourceExists, path, $"'{path}' exists; use -Force to replace it.");
            return;
        }

        var folder = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            WriteError(ErrorIds.TransformFolderNotFound, ErrorCategory.ObjectNotFound, path, $"Folder '{folder}' does not exist.");
            return;
        }

        if (!ShouldProcess(path, $"Write {transform.GetType().Name}"))
        {
            return;
        }

        try
        {
            TransformFile.Save(transform, path);
        }
        catch (ArgumentException e)
        {
            WriteError(ErrorIds.TransformNotWritable, ErrorCategory.InvalidType, transform, e.Message, e);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorIds.TransformFileWriteFailed, ErrorCategory.WriteError, path, $"Cannot write '{path}': {e.Message}", e);
            return;
        }

        WriteVerbose($"Wrote {transform} to {path}.");
        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }

    #endregion
}
