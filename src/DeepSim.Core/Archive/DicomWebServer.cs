namespace DeepSim.Archive;

/// <summary>
/// A DICOMweb service: its base URL (the root under which /studies lives, e.g. http://pacs:8042/dicom-web),
/// credentials and request policy. Study and series records carry the server they came from, so that a piped
/// record can be retrieved without repeating the address and credentials.
/// </summary>
public sealed class DicomWebServer
{
    /// <summary>Creates the description of a server.</summary>
    public DicomWebServer(Uri baseUri, DicomWebCredential? credential = null, TimeSpan? timeout = null, int maxRetries = 3, TimeSpan? retryDelay = null)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        if (!baseUri.IsAbsoluteUri || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{baseUri}' is not an http or https URL.", nameof(baseUri));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        var text = baseUri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        BaseUri = new Uri(text + "/");
        Credential = credential ?? DicomWebCredential.None;
        Timeout = timeout ?? TimeSpan.FromSeconds(30);
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }

        MaxRetries = maxRetries;
        RetryDelay = retryDelay ?? TimeSpan.FromMilliseconds(500);
    }

    /// <summary>The service root, always ending with '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>How requests authenticate.</summary>
    public DicomWebCredential Credential { get; }

    /// <summary>Time allowed for one request (connection, headers and body).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Retries after a transient failure (5xx, 429, connection reset, timeout).</summary>
    public int MaxRetries { get; }

    /// <summary>Delay before the first retry; it doubles with each further retry (a 429's Retry-After wins when longer).</summary>
    public TimeSpan RetryDelay { get; }

    /// <summary>The URL of a path below the root (segments are escaped by the caller).</summary>
    internal Uri Resolve(string relative) => new(BaseUri, relative);

    /// <inheritdoc />
    public override string ToString() => BaseUri.ToString().TrimEnd('/');
}
