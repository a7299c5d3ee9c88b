using System.Globalization;
using System.Management.Automation;
using DeepSim.Archive;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Finds the instances (slices or multi-frame objects) of DICOMweb series (QIDO-RS), by server address or for piped series.</para>
/// <para type="description">Find-DicomInstance returns one DicomWebInstance per instance of a series: StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID, SOPClassUID, InstanceNumber and NumberOfFrames (when the server gives it). Give the server with -Uri, -StudyInstanceUID and -SeriesInstanceUID, or pipe series from Find-DicomSeries, whose server and credentials are reused. Pipe the instances to Import-MedicalImage to retrieve them (WADO-RS, one request per instance): the instances of one series that are piped together are assembled into one volume exactly as the same files would be, so a subset (e.g. Where-Object InstanceNumber -le 40) gives a volume of that subset. The query pages on with offset until every instance has come, so a server that caps its answers still yields all of them. A series that no longer exists is a non-terminating error; an unreachable server or refused credentials stop the command.</para>
/// </summary>
/// <example>
/// <code>Find-DicomSeries -Uri http://localhost:8042/dicom-web -PatientID 'P-0042' -Modality CT | Find-DicomInstance | Sort-Object InstanceNumber | Format-Table</code>
/// <para>Lists the slices of a patient's CT series in instance-number order.</para>
/// </example>
/// <example>
/// <code>Find-DicomInstance http://localhost:8042/dicom-web -StudyInstanceUID $study -SeriesInstanceUID $series | Where-Object InstanceNumber -le 40 | Import-MedicalImage</code>
/// <para>Reads the first 40 slices of a series as one volume, without retrieving the rest.</para>
/// </example>
[Cmdlet(VerbsCommon.Find, "DicomInstance", DefaultParameterSetName = UriSet)]
[OutputType(typeof(DicomWebInstance))]
public sealed class FindDicomInstanceCommand : DicomWebCmdlet
{
    private const string SeriesSet = "Series";
    private DicomWebServer? _server;

    #region Parameters

    /// <summary>Series (from Find-DicomSeries) whose instances to list; their server and credentials are used.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SeriesSet)]
    [ValidateNotNull]
    public DicomWebSeries[] Series { get; set; } = [];

    /// <summary>Study Instance UID (0020,000D) of the series.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string StudyInstanceUID { get; set; } = string.Empty;

    /// <summary>Series Instance UID (0020,000E) whose instances to list.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string SeriesInstanceUID { get; set; } = string.Empty;

    /// <summary>SOP Instance UID (0008,0018) of the instance to find.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SOPInstanceUID { get; set; }

    /// <summary>Instance number (0020,0013) of the instance to find.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? InstanceNumber { get; set; }

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

    /// <summary>Queries the instances of each piped series, or of the series given by UIDs.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == UriSet)
        {
            Write(_server!, StudyInstanceUID, SeriesInstanceUID, SeriesInstanceUID);
            return;
        }

        foreach (var series in Series)
        {
            Write(series.Server, series.StudyInstanceUID, series.SeriesInstanceUID, series);
        }
    }

    #endregion

    private void Write(DicomWebServer server, string study, string series, object target)
    {
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        FindDicomStudyCommand.Add(filters, "SOPInstanceUID", SOPInstanceUID);
        FindDicomStudyCommand.Add(filters, "InstanceNumber", InstanceNumber?.ToString(CultureInfo.InvariantCulture));
        WriteVerbose($"QIDO-RS instances on {server} in series {series} with {(filters.Count == 0 ? "no filter" : string.Join(", ", filters.Select(f => f.Key + "=" + f.Value)))}.");
        foreach (var i in Query(server, target, (client, token) => client.FindInstancesAsync(study, series, filters, token)) ?? [])
        {
            WriteObject(i);
        }
    }
}
