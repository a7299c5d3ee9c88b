using System.Management.Automation;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Registration;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads a transform from an ITK transform file (.tfm), as written by Export-ImageTransform, ITK or SimpleITK.</para>
/// <para type="description">Import-ImageTransform reads ITK's text format ("#Insight Transform File V1.0"; see Export-ImageTransform for the layout): TranslationTransform, Euler2DTransform, Euler3DTransform, AffineTransform and BSplineTransform, 2D or 3D, float or double, alone or in a CompositeTransform. The result is a transform object with TransformPoint(double[]), which maps a fixed physical point (mm) into the moving image. A file that is not a readable transform gives a non-terminating error naming the file and the line.</para>
/// </summary>
/// <example>
/// <code>$t = Import-ImageTransform ./pd-to-t1.tfm; $t.TransformPoint([double[]](100, 120))</code>
/// <para>Reads a transform and maps one point.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./transforms/*.tfm | Import-ImageTransform | Select-Object ItkClassName, Parameters</code>
/// <para>Reads every transform of a folder.</para>
/// </example>
[Cmdlet(VerbsData.Import, "ImageTransform")]
[OutputType(typeof(IImageTransform))]
public sealed class ImportImageTransformCommand : DeepSimCmdlet
{
    #region Parameters

    /// <summary>The transform file(s); wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    #endregion

    #region Overrides

    /// <summary>Reads each file.</summary>
    protected override void ProcessRecord()
    {
        foreach (var input in Path)
        {
            foreach (var path in ResolveExistingPaths(input, ErrorIds.TransformFileNotFound))
            {
                try
                {
                    WriteObject(TransformFile.Load(path));
                }
                catch (TransformFileException e)
                {
                    WriteError(ErrorIds.InvalidTransformFile, ErrorCategory.InvalidData, path, e.Message, e);
                }
            }
        }
    }

    #endregion
}
