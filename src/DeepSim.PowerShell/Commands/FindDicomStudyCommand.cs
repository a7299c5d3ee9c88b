using System.Management.Automation;
using DeepSim.Archive;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Finds studies on a DICOMweb server (QIDO-RS).</para>
/// <para type="description">Find-DicomStudy asks a DICOMweb server (PACS, VNA, Orthanc with its DICOMweb plugin ...) for the studies that match the filters and returns one DicomWebStudy per study: Study Instance UID, patient, date, description, modalities and counts. Each record remembers its server and credentials, so piping it to Find-DicomSeries and on to Import-MedicalImage needs no repeated -Uri. Filters follow DICOM matching: '*' and '?' wildcards in PatientID and PatientName, a date range as 20240101-20241231. Credentials are taken as a PSCredential (basic authentication) or a SecureString token (bearer), never as plain text. Transient failures (5xx, 429, reset connections, timeouts) are retried with doubling delays; an unreachable server or refused credentials stop the command with an error that names the server URL and the HTTP status.</para>
/// </summary>
/// <example>
/// <code>Find-DicomStudy -Uri http://localhost:8042/dicom-web -PatientID 'P-0042' -Modality CT</code>
/// <para>Lists the CT studies of one patient on a local Orthanc.</para>
/// </example>
/// <example>
/// <code>$cred = Get-Credential; Find-DicomStudy https://pacs.example.org/dicom-web -Credential $cred -StudyDate 20240101-20240331 | Format-Table PatientID, StudyDate, ModalitiesInStudy</code>
/// <para>Lists a quarter's studies on a server that wants basic authentication.</para>
/// </example>
/// <example>
/// <code>Find-DicomStudy $pacs -PatientID 'P-00*' -Token (Read-Host -AsSecureString 'token') | Find-DicomSeries -Modality MR | Import-MedicalImage</code>
/// <para>Reads every MR series of the matching patients, authenticating with a bearer token typed without echo.</para>
/// </example>
[Cmdlet(VerbsCommon.Find, "DicomStudy", DefaultParameterSetName = UriSet)]
[OutputType(typeof(DicomWebStudy))]
public sealed class FindDicomStudyCommand : DicomWebCmdlet
{
    #region Parameters

    /// <summary>Patient ID (0010,0020); '*' and '?' are wildcards.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? PatientID { get; set; }

    /// <summary>Patient's name (0010,0010) in DICOM form (Family^Given); '*' and '?' are wildcards.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? PatientName { get; set; }

    /// <summary>Study Instance UID (0020,000D) of the study to find.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? StudyInstanceUID { get; set; }

    /// <summary>Study date (0008,0020) as YYYYMMDD, or a range YYYYMMDD-YYYYMMDD.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? StudyDate { get; set; }

    /// <summary>Accession number (0008,0050).</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? AccessionNumber { get; set; }

    /// <summary>A modality the study must contain (ModalitiesInStudy, 0008,0061), e.g. CT or MR.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNullOrEmpty]
    public string? Modality { get; set; }

    #endregion

    #region Overrides

    /// <summary>Runs the query and writes the studies.</summary>
    protected override void EndProcessing()
    {
        var server = CreateServer();
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(filters, "PatientID", PatientID);
        Add(filters, "PatientName", PatientName);
        Add(filters, "StudyInstanceUID", StudyInstanceUID);
        Add(filters, "StudyDate", StudyDate);
        Add(filters, "AccessionNumber", AccessionNumber);
        Add(filters, "ModalitiesInStudy", Modality);
        WriteVerbose($"QIDO-RS studies on {server} ({server.Credential}) with {(filters.Count == 0 ? "no filter" : string.Join(", ", filters.Select(f => f.Key + "=" + f.Value)))}.");
        var studies = Query(server, server.BaseUri, (client, token) => client.FindStudiesAsync(filters, token));
        foreach (var s in studies ?? [])
        {
            WriteObject(s);
        }
    }

    #endregion

    internal static void Add(Dictionary<string, string> filters, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            filters[key] = value;
        }
    }
}
