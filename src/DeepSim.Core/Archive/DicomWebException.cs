namespace DeepSim.Archive;

/// <summary>What went wrong talking to a DICOMweb server; each maps to a stable PowerShell ErrorId.</summary>
public enum DicomWebError
{
    /// <summary>No connection could be made (refused, unknown host, network down).</summary>
    Unreachable,

    /// <summary>The server did not answer within the timeout.</summary>
    Timeout,

    /// <summary>401: the server wants (other) credentials.</summary>
    Unauthorized,

    /// <summary>403: the credentials are not allowed to do this.</summary>
    Forbidden,

    /// <summary>404: no such study, series or instance, or no DICOMweb service at that address.</summary>
    NotFound,

    /// <summary>5xx or 429 after the retries were spent, or another unexpected status.</summary>
    ServerError,

    /// <summary>The server answered with something that is not DICOM where DICOM was asked for.</summary>
    NotDicom,

    /// <summary>A QIDO-RS answer that is not the DICOM JSON model.</summary>
    BadResponse,

    /// <summary>A series retrieved with fewer instances than the server says it holds.</summary>
    IncompleteSeries,
}

/// <summary>A DICOMweb request failed: carries the request URL, the HTTP status when there was one, and the kind of problem.</summary>
public sealed class DicomWebException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DicomWebException(DicomWebError error, Uri requestUri, int? statusCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
        RequestUri = requestUri;
        StatusCode = statusCode;
    }

    /// <summary>The kind of problem.</summary>
    public DicomWebError Error { get; }

    /// <summary>The URL of the request that failed.</summary>
    public Uri RequestUri { get; }

    /// <summary>The HTTP status code, when the server answered.</summary>
    public int? StatusCode { get; }

    /// <summary>The ErrorId a cmdlet reports, e.g. "DicomWebNotFound".</summary>
    public string ErrorId => "DicomWeb" + Error;
}
