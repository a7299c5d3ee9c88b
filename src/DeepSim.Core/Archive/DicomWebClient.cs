using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;

namespace DeepSim.Archive;

/// <summary>
/// A DICOMweb client: QIDO-RS to find studies, series and instances, WADO-RS to retrieve instances as application/dicom
/// (in their stored transfer syntax), read by DeepSim's own Part 10 reader and assembled into the same
/// <see cref="MedicalImage"/> objects as files. Transient failures (5xx, 429, a reset connection, a timeout) are retried
/// with exponential backoff; every other failure is a <see cref="DicomWebException"/> naming the request URL and status.
/// Uses System.Net.Http only. Not thread-safe for concurrent calls that share one progress reporter; otherwise it is.
/// </summary>
public sealed class DicomWebClient : IDisposable
{
    /// <summary>The media type asked for when retrieving: DICOM Part 10 objects, in whatever transfer syntax they are stored.</summary>
    internal const string RetrieveAccept = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";

    private static readonly string[] StudyFields = ["00081030", "00080061", "00201206", "00201208", "00080050"];
    private static readonly string[] SeriesFields = ["00201209", "0008103E", "00180015", "00100020", "00080020", "00200011"];
    private static readonly string[] InstanceFields = ["00080016", "00200013", "00280008"];

    private readonly HttpClient _http;
    private int? _pageSize;
    private int _queryRequests;

    /// <summary>Creates a client of <paramref name="server"/>; <paramref name="handler"/> replaces the default socket handler (tests).</summary>
    public DicomWebClient(DicomWebServer server, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        handler ??= new SocketsHttpHandler
        {
            ConnectTimeout = server.Timeout,
            AutomaticDecompression = DecompressionMethods.All,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("DeepSim", typeof(DicomWebClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>The server this client talks to.</summary>
    public DicomWebServer Server { get; }

    /// <summary>Called before each retry with the failure and the delay (for -Verbose).</summary>
    public Action<string>? OnRetry { get; set; }

    /// <summary>
    /// Matches asked for per QIDO-RS request (the <c>limit</c> parameter), or null to let the server choose. Either way
    /// a query pages on with <c>offset</c> until a page brings no new match, because a server may answer in pages of its
    /// own size without saying so, so a short page does not prove the end. (A server that truncates the query itself,
    /// as Orthanc's LimitFindResults does, cannot be paged past: its offset pages inside the truncated set.)
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The page size is less than 1.</exception>
    public int? PageSize
    {
        get => _pageSize;
        set => _pageSize = value is < 1 ? throw new ArgumentOutOfRangeException(nameof(value), value, "The page size must be at least 1.") : value;
    }

    /// <summary>QIDO-RS requests sent so far by this client (pages included, retries not), for -Verbose and tests.</summary>
    public int QueryRequests => _queryRequests;

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>QIDO-RS: studies matching the filters (attribute keyword or tag to value, DICOM matching rules).</summary>
    public async Task<IReadOnlyList<DicomWebStudy>> FindStudiesAsync(IReadOnlyDictionary<string, string>? filters, CancellationToken cancellationToken = default)
    {
        var uri = QueryUri("studies", filters, StudyFields);
        var items = await QueryAllAsync(uri, "0020000D", cancellationToken).ConfigureAwait(false);
        return [.. items.Select(i => new DicomWebStudy
        {
            Server = Server,
            StudyInstanceUID = DicomJson.Uid(i, "0020000D", "Study Instance UID", uri),
            PatientID = DicomJson.Text(i, "00100020"),
            PatientName = DicomJson.Text(i, "00100010"),
            StudyDate = DicomJson.Text(i, "00080020"),
            StudyDescription = DicomJson.Text(i, "00081030"),
            AccessionNumber = DicomJson.Text(i, "00080050"),
            ModalitiesInStudy = DicomJson.Values(i, "00080061"),
            NumberOfStudyRelatedSeries = DicomJson.Int(i, "00201206"),
            NumberOfStudyRelatedInstances = DicomJson.Int(i, "00201208"),
        })];
    }

    /// <summary>QIDO-RS: series of one study (or of all studies when <paramref name="studyInstanceUid"/> is null) matching the filters.</summary>
    public async Task<IReadOnlyList<DicomWebSeries>> FindSeriesAsync(string? studyInstanceUid, IReadOnlyDictionary<string, string>? filters, CancellationToken cancellationToken = default)
    {
        var path = studyInstanceUid is null ? "series" : "studies/" + Uri.EscapeDataString(studyInstanceUid) + "/series";
        var uri = QueryUri(path, filters, SeriesFields);
        var items = await QueryAllAsync(uri, "0020000E", cancellationToken).ConfigureAwait(false);
        return [.. items.Select(i => new DicomWebSeries
        {
            Server = Server,
            StudyInstanceUID = DicomJson.Text(i, "0020000D") ?? studyInstanceUid ?? DicomJson.Uid(i, "0020000D", "Study Instance UID", uri),
            SeriesInstanceUID = DicomJson.Uid(i, "0020000E", "Series Instance UID", uri),
            PatientID = DicomJson.Text(i, "00100020"),
            StudyDate = DicomJson.Text(i, "00080020"),
            Modality = DicomJson.Text(i, "00080060"),
            SeriesNumber = DicomJson.Int(i, "00200011"),
            SeriesDescription = DicomJson.Text(i, "0008103E"),
            BodyPartExamined = DicomJson.Text(i, "00180015"),
            NumberOfSeriesRelatedInstances = DicomJson.Int(i, "00201209"),
        })];
    }

    /// <summary>QIDO-RS: instances of one series.</summary>
    public async Task<IReadOnlyList<DicomWebInstance>> FindInstancesAsync(string studyInstanceUid, string seriesInstanceUid, IReadOnlyDictionary<string, string>? filters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(studyInstanceUid);
        ArgumentException.ThrowIfNullOrEmpty(seriesInstanceUid);
        var uri = QueryUri("studies/" + Uri.EscapeDataString(studyInstanceUid) + "/series/" + Uri.EscapeDataString(seriesInstanceUid) + "/instances", filters, InstanceFields);
        var items = await QueryAllAsync(uri, "00080018", cancellationToken).ConfigureAwait(false);
        return [.. items.Select(i => new DicomWebInstance
        {
            Server = Server,
            StudyInstanceUID = DicomJson.Text(i, "0020000D") ?? studyInstanceUid,
            SeriesInstanceUID = DicomJson.Text(i, "0020000E") ?? seriesInstanceUid,
            SOPInstanceUID = DicomJson.Uid(i, "00080018", "SOP Instance UID", uri),
            SOPClassUID = DicomJson.Text(i, "00080016"),
            InstanceNumber = DicomJson.Int(i, "00200013"),
            NumberOfFrames = DicomJson.Int(i, "00280008"),
        })];
    }

    /// <summary>
    /// WADO-RS: retrieves every instance of a series and assembles them like files of one series (one image per stack;
    /// multi-frame instances stay images of their own). Fails with <see cref="DicomWebError.IncompleteSeries"/> when fewer
    /// instances arrive than the series' NumberOfSeriesRelatedInstances. Instances that are DICOM but not usable images
    /// go to <paramref name="onInstanceError"/>, as unreadable files do for the file reader.
    /// </summary>
    public async Task<IReadOnlyList<MedicalImage>> ReadSeriesAsync(
        DicomWebSeries series,
        Action<ImageReadException> onInstanceError,
        Action<string> onWarning,
        IProgress<DicomWebProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(onInstanceError);
        ArgumentNullException.ThrowIfNull(onWarning);
        var uri = series.Uri;
        var expected = series.NumberOfSeriesRelatedInstances ?? 0;
        var (files, unreadable) = await RetrieveAsync(uri, series.SeriesInstanceUID, expected, progress, cancellationToken).ConfigureAwait(false);
        if (expected > 0 && files.Count + unreadable.Count < expected)
        {
            throw new DicomWebException(
                DicomWebError.IncompleteSeries,
                uri,
                200,
                $"GET {uri}: the server {Server} lists {expected} instances in series {series.SeriesInstanceUID} (NumberOfSeriesRelatedInstances) but sent {files.Count + unreadable.Count}; the volume would have gaps, so it is not assembled.");
        }

        foreach (var e in unreadable)
        {
            onInstanceError(e);
        }

        return Assemble(files, uri.ToString(), onInstanceError, onWarning, cancellationToken);
    }

    /// <summary>
    /// WADO-RS: retrieves the given instances, one request each, and assembles them as the same files given together
    /// would be: the slices of one series become one volume (its SourcePath the series URL), multi-frame objects and
    /// slices that do not stack stay images of their own. Instances that are DICOM but not usable images go to
    /// <paramref name="onInstanceError"/>.
    /// </summary>
    public async Task<IReadOnlyList<MedicalImage>> ReadInstancesAsync(
        IReadOnlyList<DicomWebInstance> instances,
        Action<ImageReadException> onInstanceError,
        Action<string> onWarning,
        IProgress<DicomWebProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(onInstanceError);
        ArgumentNullException.ThrowIfNull(onWarning);
        if (instances.Any(i => i is null))
        {
            throw new ArgumentException("An instance is null.", nameof(instances));
        }

        var images = new List<MedicalImage>();
        var done = 0;
        long bytes = 0;
        foreach (var series in instances.GroupBy(i => (i.StudyInstanceUID, i.SeriesInstanceUID)))
        {
            var files = new List<DicomFile>();
            foreach (var instance in series)
            {
                long last = 0;
                var (got, unreadable) = await RetrieveAsync(instance.Uri, instance.SeriesInstanceUID, 1, new InlineProgress(p => last = p.BytesReceived), cancellationToken).ConfigureAwait(false);
                if (got.Count + unreadable.Count != 1)
                {
                    throw new DicomWebException(DicomWebError.NotDicom, instance.Uri, 200, $"GET {instance.Uri}: the server {Server} sent {got.Count + unreadable.Count} DICOM objects for one instance.");
                }

                unreadable.ForEach(onInstanceError);
                files.AddRange(got);
                bytes += last;
                progress?.Report(new DicomWebProgress(instance.SeriesInstanceUID, ++done, instances.Count, bytes));
            }

            var source = Server.Resolve("studies/" + Uri.EscapeDataString(series.Key.StudyInstanceUID) + "/series/" + Uri.EscapeDataString(series.Key.SeriesInstanceUID)).ToString();
            images.AddRange(Assemble(files, source, onInstanceError, onWarning, cancellationToken));
        }

        return images;
    }

    /// <summary>WADO-RS: retrieves one instance and reads it as a single file would be read (multi-frame along z).</summary>
    public async Task<MedicalImage> ReadInstanceAsync(DicomWebInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var (files, unreadable) = await RetrieveAsync(instance.Uri, instance.SeriesInstanceUID, 1, null, cancellationToken).ConfigureAwait(false);
        if (unreadable.Count > 0)
        {
            throw unreadable[0];
        }

        if (files.Count != 1)
        {
            throw new DicomWebException(DicomWebError.NotDicom, instance.Uri, 200, $"GET {instance.Uri}: the server {Server} sent {files.Count} DICOM objects for one instance.");
        }

        return DicomImageReader.Guard(files[0].Path, () => DicomImageReader.ReadSingle(files[0]));
    }

    /// <summary>
    /// The Part 10 objects of a WADO-RS retrieval, parsed, and the objects that start like DICOM but do not parse;
    /// retried as a whole on a transient failure. A body that is not DICOM at all fails the retrieval.
    /// </summary>
    internal async Task<(List<DicomFile> Files, List<ImageReadException> Unreadable)> RetrieveAsync(Uri uri, string seriesUid, int expected, IProgress<DicomWebProgress>? progress, CancellationToken cancellationToken)
    {
        return await SendAsync(
            uri,
            RetrieveAccept,
            async (response, idle, token) =>
            {
                var mediaType = response.Content.Headers.ContentType?.MediaType;
                var contentType = response.Content.Headers.ContentType?.ToString();
                var files = new List<DicomFile>();
                var unreadable = new List<ImageReadException>();
                void Add(int index, byte[] body)
                {
                    try
                    {
                        files.Add(ParsePart(uri, index, body));
                    }
                    catch (ImageReadException e)
                    {
                        unreadable.Add(e);
                    }
                }

                await using var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                if (string.Equals(mediaType, "application/dicom", StringComparison.OrdinalIgnoreCase))
                {
                    using var ms = new MemoryStream();
                    await stream.CopyToAsync(ms, token).ConfigureAwait(false);
                    Add(1, ms.ToArray());
                    progress?.Report(new DicomWebProgress(seriesUid, 1, expected, ms.Length));
                    return (files, unreadable);
                }

                if (!string.Equals(mediaType, "multipart/related", StringComparison.OrdinalIgnoreCase) || MultipartReader.Boundary(contentType) is not { Length: > 0 } boundary)
                {
                    var excerpt = await ExcerptAsync(stream, token).ConfigureAwait(false);
                    throw new DicomWebException(
                        DicomWebError.NotDicom,
                        uri,
                        (int)response.StatusCode,
                        $"GET {uri}: the server {Server} answered {(int)response.StatusCode} with Content-Type '{contentType ?? "(none)"}', not DICOM (multipart/related; type=\"application/dicom\"){excerpt}.");
                }

                var reader = new MultipartReader(stream, boundary, uri);
                while (await reader.ReadPartAsync(token).ConfigureAwait(false) is { } part)
                {
                    idle(); // a part arrived: the timeout counts from here
                    if (part.ContentType is { } ct && !ct.StartsWith("application/dicom", StringComparison.OrdinalIgnoreCase))
                    {
                        throw new DicomWebException(DicomWebError.NotDicom, uri, (int)response.StatusCode, $"GET {uri}: part {files.Count + unreadable.Count + 1} of the answer of {Server} is '{ct}', not application/dicom.");
                    }

                    Add(files.Count + unreadable.Count + 1, part.Body);
                    progress?.Report(new DicomWebProgress(seriesUid, files.Count + unreadable.Count, expected, reader.BytesRead));
                }

                return (files, unreadable);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Assembles retrieved objects: single objects keep their own geometry, slices of one series become a volume.</summary>
    internal static IReadOnlyList<MedicalImage> Assemble(List<DicomFile> files, string source, Action<ImageReadException> onInstanceError, Action<string> onWarning, CancellationToken cancellationToken)
    {
        var slices = new List<DicomSlice>(files.Count);
        foreach (var f in files)
        {
            try
            {
                slices.Add(DicomImageReader.Guard(f.Path, () => DicomSlice.FromFile(f)));
            }
            catch (ImageReadException e)
            {
                onInstanceError(e);
            }
        }

        return [.. DicomSeriesAssembler.Assemble(slices, onInstanceError, onWarning, cancellationToken, source)];
    }

    private DicomFile ParsePart(Uri uri, int index, byte[] body)
    {
        var name = $"{uri} (instance {index.ToString(CultureInfo.InvariantCulture)})";
        DicomFile.FindStart(body, out var magic);
        try
        {
            return DicomImageReader.Guard(name, () => DicomFile.Parse(name, body));
        }
        catch (ImageReadException e) when (!magic)
        {
            var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 120)).ReplaceLineEndings(" ");
            throw new DicomWebException(DicomWebError.NotDicom, uri, 200, $"GET {uri}: instance {index} sent by {Server} is not a DICOM Part 10 object ({body.Length} bytes starting '{text}'): {e.Message}", e);
        }
    }

    private Uri QueryUri(string path, IReadOnlyDictionary<string, string>? filters, string[] includeFields)
    {
        var sb = new StringBuilder(path);
        var sep = '?';
        foreach (var (key, value) in filters ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            sb.Append(sep).Append(Uri.EscapeDataString(key)).Append('=').Append(EscapeQueryValue(value));
            sep = '&';
        }

        foreach (var f in includeFields)
        {
            sb.Append(sep).Append("includefield=").Append(f);
            sep = '&';
        }

        return Server.Resolve(sb.ToString());
    }

    /// <summary>
    /// Escapes a QIDO-RS match value, leaving DICOM's wildcards ('*', '?') and list separator (',') as they are: servers
    /// such as Orthanc do not decode them from percent-escapes, so "P-*" escaped as "P-%2A" would match nothing.
    /// </summary>
    internal static string EscapeQueryValue(string value) =>
        Uri.EscapeDataString(value).Replace("%2A", "*", StringComparison.Ordinal).Replace("%3F", "?", StringComparison.Ordinal).Replace("%2C", ",", StringComparison.Ordinal);

    /// <summary>
    /// All matches of a QIDO-RS query: pages of <see cref="PageSize"/> (or the server's own size) fetched with
    /// <c>offset</c> until a page is empty or brings no match not seen before (a server that ignores <c>offset</c>
    /// sends its first page again). Matches are told apart by <paramref name="uidTag"/>; the order is the server's.
    /// </summary>
    internal async Task<List<Dictionary<string, JsonElement>>> QueryAllAsync(Uri uri, string uidTag, CancellationToken cancellationToken)
    {
        var all = new List<Dictionary<string, JsonElement>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var page = await QueryAsync(PageUri(uri, all.Count, _pageSize), cancellationToken).ConfigureAwait(false);
            var added = 0;
            foreach (var item in page)
            {
                // An entry without the UID is kept (the caller reports it); it cannot be deduplicated.
                var key = DicomJson.Text(item, uidTag);
                if (key is null || seen.Add(key))
                {
                    all.Add(item);
                    added++;
                }
            }

            if (added == 0)
            {
                return all;
            }
        }
    }

    /// <summary>The query with <c>limit</c> (when a page size is set) and <c>offset</c> (after the first page) appended.</summary>
    internal static Uri PageUri(Uri uri, int offset, int? pageSize)
    {
        if (offset == 0 && pageSize is null)
        {
            return uri;
        }

        var sb = new StringBuilder(uri.OriginalString);
        var sep = uri.OriginalString.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        if (pageSize is int limit)
        {
            sb.Append(sep).Append("limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
            sep = '&';
        }

        if (offset > 0)
        {
            sb.Append(sep).Append("offset=").Append(offset.ToString(CultureInfo.InvariantCulture));
        }

        return new Uri(sb.ToString());
    }

    private async Task<List<Dictionary<string, JsonElement>>> QueryAsync(Uri uri, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queryRequests);
        return await QueryOnceAsync(uri, cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<Dictionary<string, JsonElement>>> QueryOnceAsync(Uri uri, CancellationToken cancellationToken) =>
        await SendAsync(
            uri,
            "application/dicom+json",
            async (response, _, token) =>
            {
                var mediaType = response.Content.Headers.ContentType?.MediaType;
                var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
                if (body.Length > 0 && mediaType is not null && !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
                {
                    var excerpt = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 120)).ReplaceLineEndings(" ");
                    throw new DicomWebException(DicomWebError.BadResponse, uri, (int)response.StatusCode, $"GET {uri}: the server {Server} answered with Content-Type '{mediaType}', not DICOM JSON: '{excerpt}'.");
                }

                return DicomJson.ParseArray(body, uri);
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Sends a GET and hands a successful response to <paramref name="read"/>, retrying the whole exchange on transient
    /// failures. <paramref name="read"/> gets a callback that restarts the timeout (an idle timeout while a long body streams).
    /// </summary>
    private async Task<T> SendAsync<T>(Uri uri, string accept, Func<HttpResponseMessage, Action, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Server.Timeout);
            string transient;
            TimeSpan? retryAfter = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.Accept.ParseAdd(accept);
                request.Headers.Authorization = Server.Credential.CreateHeader();
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return await read(response, () => timeout.CancelAfter(Server.Timeout), timeout.Token).ConfigureAwait(false);
                }

                if (status is 429 or 500 or 502 or 503 or 504)
                {
                    transient = $"{status} {response.ReasonPhrase}";
                    retryAfter = response.Headers.RetryAfter?.Delta
                        ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
                    if (attempt >= Server.MaxRetries)
                    {
                        throw await StatusErrorAsync(uri, response, DicomWebError.ServerError, $" (after {attempt + 1} attempts)", timeout.Token).ConfigureAwait(false);
                    }
                }
                else
                {
                    var (error, hint) = status switch
                    {
                        401 => (DicomWebError.Unauthorized, ": the server wants credentials, or the ones given are wrong (give -Credential for basic authentication or -Token for a bearer token)"),
                        403 => (DicomWebError.Forbidden, ": the credentials given are not allowed to read this"),
                        404 => (DicomWebError.NotFound, ": no such study, series or instance, or no DICOMweb service at this address (is the root, e.g. /dicom-web, part of -Uri?)"),
                        _ => (DicomWebError.ServerError, string.Empty),
                    };
                    throw await StatusErrorAsync(uri, response, error, hint, timeout.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
            {
                transient = $"no answer within {Server.Timeout.TotalSeconds:0.#} s";
                if (attempt >= Server.MaxRetries)
                {
                    throw new DicomWebException(DicomWebError.Timeout, uri, null, $"GET {uri}: the server {Server} did not answer within {Server.Timeout.TotalSeconds:0.#} s ({attempt + 1} attempts).", e);
                }
            }
            catch (HttpRequestException e) when (IsUnreachable(e))
            {
                throw new DicomWebException(DicomWebError.Unreachable, uri, null, $"GET {uri}: cannot reach the DICOMweb server {Server}: {Innermost(e).Message}.", e);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                transient = "connection failed: " + Innermost(e).Message;
                if (attempt >= Server.MaxRetries)
                {
                    throw new DicomWebException(DicomWebError.ServerError, uri, null, $"GET {uri}: the connection to {Server} failed {attempt + 1} times; last: {Innermost(e).Message}.", e);
                }
            }
            catch (InvalidDataException e)
            {
                throw new DicomWebException(DicomWebError.NotDicom, uri, 200, $"GET {uri}: {e.Message}", e);
            }

            var delay = Server.RetryDelay * Math.Pow(2, attempt);
            if (retryAfter is { } ra && ra > delay)
            {
                delay = ra > TimeSpan.FromSeconds(60) ? TimeSpan.FromSeconds(60) : ra;
            }

            OnRetry?.Invoke($"GET {uri}: {transient}; retry {attempt + 1} of {Server.MaxRetries} in {delay.TotalSeconds:0.##} s.");
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DicomWebException> StatusErrorAsync(Uri uri, HttpResponseMessage response, DicomWebError error, string hint, CancellationToken token)
    {
        var status = (int)response.StatusCode;
        string excerpt;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            excerpt = await ExcerptAsync(stream, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            excerpt = string.Empty;
        }

        return new DicomWebException(error, uri, status, $"GET {uri}: the DICOMweb server {Server} answered {status} {response.ReasonPhrase}{hint}{excerpt}.");
    }

    /// <summary>The start of a text body, for an error message (", server said: '...'"), or empty.</summary>
    private static async Task<string> ExcerptAsync(Stream stream, CancellationToken token)
    {
        var buffer = new byte[200];
        var n = 0;
        while (n < buffer.Length)
        {
            var r = await stream.ReadAsync(buffer.AsMemory(n), token).ConfigureAwait(false);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        if (n == 0)
        {
            return string.Empty;
        }

        var text = Encoding.UTF8.GetString(buffer, 0, n).ReplaceLineEndings(" ").Trim();
        if (text.Any(c => char.IsControl(c) && c != '\t'))
        {
            return string.Empty;
        }

        return $"; body starts '{text}'";
    }

    private static bool IsUnreachable(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.NameResolutionError
        || (Innermost(e) is SocketException s && s.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.AddressNotAvailable);

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class InlineProgress(Action<DicomWebProgress> report) : IProgress<DicomWebProgress>
    {
        public void Report(DicomWebProgress value) => report(value);
    }
}
