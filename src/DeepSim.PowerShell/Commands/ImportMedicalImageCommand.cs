using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads medical images (NIfTI, MetaImage, PNG, DICOM) into MedicalImage objects.</para>
/// <para type="description">Import-MedicalImage reads files, folders or wildcards and returns one MedicalImage per image: float32 voxels, size, spacing, origin, direction (LPS), modality when the file says it, and a small metadata dictionary. The format is recognised from the file's content. Files of a DICOM series given together (a folder, a wildcard, or piped files) are assembled into one 3D image per series. Problems with one file (missing, truncated, unknown format, a header that promises more data than the file holds) or one folder (unreadable) are reported as non-terminating errors naming it, and the other files are still read. -Recurse does not follow links to folders, as Get-ChildItem -Recurse does not. Piped files and -LiteralPath are taken literally; a wildcard that matches nothing is an error. NaN and infinite voxels are kept, with one warning per image giving their count: patch sampling never uses a patch that contains one, and scoring gives such a patch the score NaN (ranked last).</para>
/// </summary>
/// <example>
/// <code>Import-MedicalImage -Path ../shared/data/mni-templates-3d/avg152T1.nii.gz</code>
/// <para>Reads a gzipped NIfTI volume: the result shows its size (91x109x91), spacing (2 mm) and modality.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ../shared/data/mr-t1-pd-slice/*.mhd | Import-MedicalImage | Format-Table Name, SizeX, SizeY, Spacing</code>
/// <para>Reads every MetaImage file piped from Get-ChildItem.</para>
/// </example>
/// <example>
/// <code>$images = Import-MedicalImage ./archive -Recurse -ErrorVariable bad; $bad | ForEach-Object { $_.FullyQualifiedErrorId + ': ' + $_.TargetObject }</code>
/// <para>Reads a whole folder tree, collecting the files that could not be read (with the reason) in $bad.</para>
/// </example>
[Cmdlet(VerbsData.Import, "MedicalImage", DefaultParameterSetName = PathSet)]
[OutputType(typeof(MedicalImage))]
public sealed partial class ImportMedicalImageCommand : DeepSimCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private readonly ImageLoader _loader = ImageLoader.CreateDefault();
    private ImageLoadSession? _session;

    #region Parameters

    /// <summary>Files, folders or wildcard patterns to read.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    /// <summary>Files or folders to read, taken literally (no wildcards). Binds FullName/PSPath from piped file objects.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Read folders recursively.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    #endregion

    #region Overrides

    /// <summary>Opens the reading session.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _session = _loader.OpenSession(Recurse, StopToken);
    }

    /// <summary>Reads the files of this pipeline item; DICOM files wait for EndProcessing so series are assembled.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == DicomWebSet)
        {
            ImportDicomWebSeries();
            return;
        }

        if (ParameterSetName == DicomWebInstanceSet)
        {
            _instances.AddRange(Instance);
            return;
        }

        var literal = ParameterSetName == LiteralPathSet;
        foreach (var input in literal ? LiteralPath : Path)
        {
            var resolved = ResolveExistingPaths(input, ErrorIds.ImageFileNotFound, literal);
            if (resolved.Count > 0)
            {
                WriteResults(_session!.Add(resolved));
            }
        }
    }

    /// <summary>Assembles and writes the deferred multi-file images (DICOM series), each as soon as it is built.</summary>
    protected override void EndProcessing()
    {
        if (ParameterSetName == DicomWebInstanceSet)
        {
            ImportDicomWebInstances();
            return;
        }

        WriteResults(_session!.Complete());
    }

    #endregion

    private void WriteResults(IEnumerable<ImageLoadResult> results)
    {
        foreach (var r in results)
        {
            StopToken.ThrowIfCancellationRequested();
            switch (r.Kind)
            {
                case ImageLoadResultKind.Image:
                    WriteObject(r.Image);
                    break;
                case ImageLoadResultKind.Error:
                    WriteError(r.Error!.ErrorId, ErrorMapping.Category(r.Error.Error), r.Error.Path, r.Error.Message, r.Error);
                    break;
                case ImageLoadResultKind.Warning:
                    WriteWarning(r.Message);
                    break;
                default:
                    WriteVerbose(r.Message ?? r.Path);
                    break;
            }
        }
    }
}
