using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Reads DICOM attributes by keyword or (group,element) tag from DICOM files.</para>
/// <para type="description">Get-DicomTag opens DICOM Part 10 files (with or without preamble and meta header, any supported transfer syntax, deflated included) and returns one object per requested attribute: Path, Tag, Keyword, VR and Value (formatted for its VR; multiple values joined by '\'). Name attributes by keyword (PatientID, SeriesDescription, ...) or by tag ("(0008,0060)", "0008,0060"). Without -Name every top-level attribute is returned, meta header included. A missing attribute gives a null Value; an unreadable file is a non-terminating error naming the file and, where useful, the byte offset.</para>
/// </summary>
/// <example>
/// <code>Get-DicomTag ../shared/data/dicom/pydicom/CT_small.dcm -Name PatientID, Modality, RescaleSlope, RescaleIntercept</code>
/// <para>Reads four attributes of one file.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./archive -Recurse -Filter *.dcm | Get-DicomTag -Name SeriesInstanceUID, '(0020,0013)' | Group-Object Value | Sort-Object Count -Descending</code>
/// <para>Counts the files of each series and instance number across an archive.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DicomTag", DefaultParameterSetName = PathSet)]
[OutputType(typeof(DicomTagValue))]
public sealed class GetDicomTagCommand : DeepSimCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    #region Parameters

    /// <summary>DICOM files to read (wildcards allowed; a pattern that matches nothing is an error).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>DICOM files to read, taken literally (no wildcards: a name such as pair[1].dcm is that file). Binds FullName/PSPath from piped file objects, so files from Get-ChildItem are read whatever their names hold.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Keywords (e.g. PatientID) or tags (e.g. "(0010,0020)") to read; all top-level attributes when omitted.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    #endregion

    #region Overrides

    /// <summary>Checks the names once.</summary>
    protected override void BeginProcessing()
    {
        foreach (var n in Name ?? [])
        {
            if (!DicomDictionary.TryGetTag(n, out _))
            {
                ThrowTerminating("UnknownDicomTag", ErrorCategory.InvalidArgument, n, $"'{n}' is neither a DICOM keyword DeepSim knows nor a tag like (0010,0010).");
            }
        }
    }

    /// <summary>Reads each file.</summary>
    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == LiteralPathSet;
        foreach (var input in literal ? LiteralPath : Path)
        {
            foreach (var file in ResolveExistingPaths(input, "DicomFileNotFound", literal))
            {
                StopToken.ThrowIfCancellationRequested();
                try
                {
                    WriteObject(DicomFile.Open(file).GetTagValues(Name), enumerateCollection: true);
                }
                catch (ImageReadException e)
                {
                    WriteError(e.ErrorId, ErrorMapping.Category(e.Error), file, e.Message, e);
                }
            }
        }
    }

    #endregion
}
