using System.Management.Automation;
using System.Security;
using DeepSim.Archive;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>
/// Base of the cmdlets that query a DICOMweb server given by -Uri: the connection parameters (credentials only as
/// PSCredential or SecureString, so that no secret is typed as plain text), and the run-and-report of one request.
/// </summary>
public abstract class DicomWebCmdlet : DeepSimCmdlet
{
    /// <summary>The parameter set of a server given by -Uri.</summary>
    protected const string UriSet = "Uri";

    #region Parameters

    /// <summary>The DICOMweb service root, e.g. http://pacs.example.org:8042/dicom-web (the URL under which /studies lives).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet)]
    [ValidateNotNull]
    public Uri? Uri { get; set; }

    /// <summary>User name and password for HTTP basic authentication.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>A bearer token (OAuth access token) as a SecureString, e.g. from Read-Host -AsSecureString or Get-Secret.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateNotNull]
    public SecureString? Token { get; set; }

    /// <summary>Seconds one request may take without progress before it counts as failed (and is retried). Default 30.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Retries after a transient failure (5xx, 429, connection reset, timeout), with doubling delays from 0.5 s. Default 3.</summary>
    [Parameter(ParameterSetName = UriSet)]
    [ValidateRange(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>Matches asked for per request (QIDO-RS limit); the query pages on with offset until every match has come, so a server that caps its answers (e.g. Orthanc's LimitFindResults) still yields all of them. Default: the server's own page size.</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int? PageSize { get; set; }

    #endregion

    /// <summary>The server described by -Uri and the authentication parameters; a terminating error when they are invalid.</summary>
    protected DicomWebServer CreateServer()
    {
        if (Credential is not null && Token is not null)
        {
            ThrowTerminating(ErrorIds.DicomWebCredentialConflict, ErrorCategory.InvalidArgument, Uri, "Give either -Credential (basic authentication) or -Token (bearer token), not both.");
        }

        DicomWebCredential credential;
        try
        {
            credential = Credential is not null ? DicomWebCredential.Basic(Credential.UserName.TrimStart('\\'), Credential.Password)
                : Token is not null ? DicomWebCredential.Bearer(Token)
                : DicomWebCredential.None;
        }
        catch (ArgumentException e)
        {
            ThrowTerminating(ErrorIds.DicomWebCredentialInvalid, ErrorCategory.InvalidArgument, Credential?.UserName, e.Message, e);
            throw;
        }

        try
        {
            return new DicomWebServer(Uri!, credential, TimeSpan.FromSeconds(TimeoutSec), MaxRetries);
        }
        catch (ArgumentException e)
        {
            ThrowTerminating(ErrorIds.DicomWebUriInvalid, ErrorCategory.InvalidArgument, Uri, e.Message, e);
            throw;
        }
    }

    /// <summary>Runs one query on a worker thread (Ctrl+C cancels it); returns null after reporting a failure.</summary>
    protected IReadOnlyList<T>? Query<T>(DicomWebServer server, object target, Func<DicomWebClient, CancellationToken, Task<IReadOnlyList<T>>> query)
    {
        var notes = new List<string>(); // retries and paging, written as verbose messages at the end
        try
        {
            return RunWithProgress<string, IReadOnlyList<T>>(
                (progress, token) =>
                {
                    using var client = new DicomWebClient(server) { OnRetry = progress.Report, PageSize = PageSize };
                    var result = query(client, token).GetAwaiter().GetResult();
                    if (client.QueryRequests > 1)
                    {
                        progress.Report($"{result.Count} matches in {client.QueryRequests} pages from {server}.");
                    }

                    return result;
                },
                message =>
                {
                    notes.Add(message);
                    return new ProgressUpdate("Querying " + server, message, 0);
                });
        }
        catch (DicomWebException e)
        {
            ReportDicomWebError(this, e, target);
            return null;
        }
        finally
        {
            foreach (var r in notes)
            {
                WriteVerbose(r);
            }
        }
    }

    /// <summary>
    /// Reports a DICOMweb failure: terminating when nothing further can succeed (server unreachable, credentials refused),
    /// else non-terminating, so that the other piped items go on.
    /// </summary>
    internal static void ReportDicomWebError(DeepSimCmdlet cmdlet, DicomWebException e, object target)
    {
        var record = new ErrorRecord(e, e.ErrorId, ErrorMapping.Category(e.Error), target)
        {
            ErrorDetails = new ErrorDetails(e.Message),
        };
        if (e.Error is DicomWebError.Unreachable or DicomWebError.Unauthorized or DicomWebError.Forbidden)
        {
            cmdlet.ThrowTerminatingError(record);
        }

        cmdlet.WriteError(record);
    }
}
