using System.Management.Automation;
using DeepSim.Archive;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Finds series on a DICOMweb server (QIDO-RS), by server address or for piped studies.</para>
/// <para type="description">Find-DicomSeries returns one DicomWebSeries per matching series: UIDs, patient, modality, number, description and NumberOfSeriesRelatedInstances (what a complete retrieval must bring). Give the server with -Uri (and optionally -StudyInstanceUID, -PatientID), or pipe studies from Find-DicomStudy, whose server and credentials are reused. Pipe the series to Import-MedicalImage to retrieve them (WADO-RS) as MedicalImage objects. A study that no longer exists is a non-terminating error; an unreachable server or refused credentials stop the command.</para>
/// </summary>
/// <example>
/// <code>Find-DicomSeries -Uri http://localhost:8042/dicom-web -PatientID 'P-0042' -Modality MR</code>
/// <para>Lists the MR series of one patient across studies.</para>
/// </example>
/// <example>
/// <code>Find-DicomStudy $pacs -PatientID 'P-0042' | Find-DicomSeries -Modality CT | Import-MedicalImage | Format-Table Name, Modality, Size, Spacing</code>
/// <para>Finds a patient's studies, then their CT series, and reads them as volumes.</para>
/// </example>
[Cmdlet(VerbsCommon.Find, "DicomSeries", DefaultParameterSetName = UriSet)]
[OutputType(typeof(DicomWebSeries))]
public sealed class FindDicomSeriesCommand : DicomWebCmdlet
{
    private const string StudySet = "Study";
    private DicomWebServer? _server;

    #region Parameters

    /// <summary>Studies (from Find-DicomStudy) whose series to list; their server and credentials are used.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = StudySet)]
    [ValidateNotNull]
    public DicomWebStudy[] Study { get; set; } = [];

    /// <summary>Study Instance UID (0020,000D) whose series to list; all studies when omitted.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? StudyInstanceUID { get; set; }

    /// <summary>Patient ID (0010,0020); '*' and '?' are wildcards.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? PatientID { get; set; }

    /// <summary>Modality (0008,0060) of the series, e.g. CT or MR.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Modality { get; set; }

    /// <summary>Series Instance UID (0020,000E) of the series to find.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SeriesInstanceUID { get; set; }

    /// <summary>Series number (0020,0011).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? SeriesNumber { get; set; }

    #endregion

    #region Overrides

    /// <summary>Checks the server parameters once.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (ParameterSetName == UriSet)
        {
            _server = CreateServer();
        }
    }

    /// <summary>Queries the series of each piped study, or of the -Uri server.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == UriSet)
        {
            var filters = Filters();
            FindDicomStudyCommand.Add(filters, "PatientID", PatientID);
            Write(_server!, StudyInstanceUID, filters, StudyInstanceUID is null ? _server!.BaseUri : StudyInstanceUID);
            return;
        }

        foreach (var study in Study)
        {
            Write(study.Server, study.StudyInstanceUID, Filters(), study);
        }
    }

    #endregion

    private Dictionary<string, string> Filters()
    {
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        FindDicomStudyCommand.Add(filters, "Modality", Modality);
        FindDicomStudyCommand.Add(filters, "SeriesInstanceUID", SeriesInstanceUID);
        FindDicomStudyCommand.Add(filters, "SeriesNumber", SeriesNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return filters;
    }

    private void Write(DicomWebServer server, string? study, Dictionary<string, string> filters, object target)
    {
        WriteVerbose($"QIDO-RS series on {server}{(study is null ? string.Empty : " in study " + study)} with {(filters.Count == 0 ? "no filter" : string.Join(", ", filters.Select(f => f.Key + "=" + f.Value)))}.");
        foreach (var s in Query(server, target, (client, token) => client.FindSeriesAsync(study, filters, token)) ?? [])
        {
            WriteObject(s);
        }
    }
}
