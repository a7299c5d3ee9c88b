using System.Text;
using DeepSim.Archive;
using DeepSim.Imaging.Dicom;
using Xunit;
using Answer = DeepSim.Tests.Archive.FakeDicomWebServer.Answer;

namespace DeepSim.Tests.Archive;

/// <summary>The DICOMweb client against a scripted in-process server: retries, errors, authentication headers, assembly.</summary>
public sealed class DicomWebClientTests : IDisposable
{
    private const string StudyJson = """
        [{"0020000D":{"vr":"UI","Value":["1.2.3"]},"00100020":{"vr":"LO","Value":["P1"]},
          "00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]},"00080061":{"vr":"CS","Value":["CT","MR"]},
          "00201208":{"vr":"IS","Value":[12]},"00080020":{"vr":"DA","Value":["20260101"]}}]
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("deepsim-dicomweb-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ServerErrorThenSuccessIsRetriedAndParsed()
    {
        using var fake = new FakeDicomWebServer((_, n) => n == 1 ? Answer.Text(500, "busy") : Answer.Json(StudyJson));
        var retries = new List<string>();
        using var client = new DicomWebClient(Server(fake)) { OnRetry = retries.Add };

        var studies = await client.FindStudiesAsync(new Dictionary<string, string> { ["PatientID"] = "P1" });

        var s = Assert.Single(studies);
        Assert.Equal("1.2.3", s.StudyInstanceUID);
        Assert.Equal("Doe^Jane", s.PatientName);
        Assert.Equal(["CT", "MR"], s.ModalitiesInStudy);
        Assert.Equal(12, s.NumberOfStudyRelatedInstances);
        Assert.Equal(3, fake.Requests.Count); // the 500, the answer, and the next page (offset=1), which brings nothing new
        Assert.Contains("500", Assert.Single(retries), StringComparison.Ordinal);
        Assert.All(fake.Requests, r => Assert.StartsWith("/dicom-web/studies?PatientID=P1&includefield=", r.PathAndQuery, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TooManyRequestsIsRetried()
    {
        using var fake = new FakeDicomWebServer((_, n) => n == 1 ? Answer.Text(429, "slow down") with { Headers = new() { ["Retry-After"] = "0" } } : Answer.Json(StudyJson));
        using var client = new DicomWebClient(Server(fake));

        Assert.Single(await client.FindStudiesAsync(null));
        Assert.Equal(3, fake.Requests.Count);
    }

    [Fact]
    public async Task PersistentServerErrorNamesServerAndStatusAfterTheRetries()
    {
        using var fake = new FakeDicomWebServer((_, _) => Answer.Text(503, "maintenance"));
        using var client = new DicomWebClient(Server(fake, retries: 2));

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.FindStudiesAsync(null));

        Assert.Equal(DicomWebError.ServerError, e.Error);
        Assert.Equal(503, e.StatusCode);
        Assert.Contains(fake.Root.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("503", e.Message, StringComparison.Ordinal);
        Assert.Contains("maintenance", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, fake.Requests.Count);
    }

    [Fact]
    public async Task NotFoundIsNotRetriedAndNamesTheUrl()
    {
        using var fake = new FakeDicomWebServer((_, _) => Answer.Text(404, "Unknown resource"));
        using var client = new DicomWebClient(Server(fake));
        var series = new DicomWebSeries { Server = client.Server, StudyInstanceUID = "9.9", SeriesInstanceUID = "8.8" };

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.ReadSeriesAsync(series, _ => { }, _ => { }));

        Assert.Equal(DicomWebError.NotFound, e.Error);
        Assert.Equal(404, e.StatusCode);
        Assert.Equal(series.Uri, e.RequestUri);
        Assert.Contains("/dicom-web/studies/9.9/series/8.8", e.Message, StringComparison.Ordinal);
        Assert.Contains("404", e.Message, StringComparison.Ordinal);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task BasicCredentialsAreSentAndWrongOnesAreUnauthorized()
    {
        var good = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret"));
        using var fake = new FakeDicomWebServer((r, _) => r.Headers["Authorization"] == good ? Answer.Json(StudyJson) : Answer.Text(401, "Unauthorized"));
        using var right = new DicomWebClient(Server(fake, DicomWebCredential.Basic("alice", ArchiveTestData.Secure("s3cret"))));
        using var wrong = new DicomWebClient(Server(fake, DicomWebCredential.Basic("alice", ArchiveTestData.Secure("guess"))));
        using var none = new DicomWebClient(Server(fake));

        Assert.Single(await right.FindStudiesAsync(null));
        var e = await Assert.ThrowsAsync<DicomWebException>(() => wrong.FindStudiesAsync(null));
        var e2 = await Assert.ThrowsAsync<DicomWebException>(() => none.FindStudiesAsync(null));

        Assert.Equal(DicomWebError.Unauthorized, e.Error);
        Assert.Equal(401, e.StatusCode);
        Assert.Contains("401", e.Message, StringComparison.Ordinal);
        Assert.Contains("-Credential", e.Message, StringComparison.Ordinal);
        Assert.Equal(DicomWebError.Unauthorized, e2.Error);
        Assert.DoesNotContain("s3cret", right.Server.Credential.ToString(), StringComparison.Ordinal);
        Assert.Equal(4, fake.Requests.Count); // two pages for the right credentials (the second repeats the first); 401 is not retried
    }

    [Fact]
    public async Task BearerTokenIsSentAndForbiddenIsReported()
    {
        using var fake = new FakeDicomWebServer((r, _) => r.Headers["Authorization"] == "Bearer tok-123" ? Answer.Text(403, "not your studies") : Answer.Text(401, "?"));
        using var client = new DicomWebClient(Server(fake, DicomWebCredential.Bearer(ArchiveTestData.Secure("tok-123"))));

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.FindStudiesAsync(null));

        Assert.Equal(DicomWebError.Forbidden, e.Error);
        Assert.Equal(403, e.StatusCode);
        Assert.Equal("Bearer tok-123", Assert.Single(fake.Requests).Authorization);
    }

    [Fact]
    public async Task NonDicomBodyIsRejectedWithTheContentType()
    {
        using var fake = new FakeDicomWebServer((_, _) => Answer.Text(200, "<html><body>Login</body></html>", "text/html"));
        using var client = new DicomWebClient(Server(fake));
        var series = new DicomWebSeries { Server = client.Server, StudyInstanceUID = "1.2", SeriesInstanceUID = "1.2.3" };

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.ReadSeriesAsync(series, _ => { }, _ => { }));

        Assert.Equal(DicomWebError.NotDicom, e.Error);
        Assert.Contains("text/html", e.Message, StringComparison.Ordinal);
        Assert.Contains(series.Uri.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("application/dicom", Assert.Single(fake.Requests).Accept, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MultipartPartThatIsNotDicomIsRejected()
    {
        using var fake = new FakeDicomWebServer((_, _) => Answer.Multipart(Encoding.UTF8.GetBytes("<html>an error page in a DICOM part</html>")));
        using var client = new DicomWebClient(Server(fake));
        var series = new DicomWebSeries { Server = client.Server, StudyInstanceUID = "1.2", SeriesInstanceUID = "1.2.3" };

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.ReadSeriesAsync(series, _ => { }, _ => { }));

        Assert.Equal(DicomWebError.NotDicom, e.Error);
        Assert.Contains("not a DICOM Part 10 object", e.Message, StringComparison.Ordinal);
        Assert.Contains("<html>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeriesFoundThenRetrievedEqualsTheFileReader()
    {
        var files = ArchiveTestData.CtSeries("1.2.826.0.1.3680043.9.7.2.1", 4);
        var seriesJson = """[{"0020000D":{"vr":"UI","Value":["1.2.826.0.1.3680043.9.7.1"]},"0020000E":{"vr":"UI","Value":["1.2.826.0.1.3680043.9.7.2.1"]},"00080060":{"vr":"CS","Value":["CT"]},"00201209":{"vr":"IS","Value":[4]}}]""";
        using var fake = new FakeDicomWebServer((r, _) => r.Url!.AbsolutePath.EndsWith("/series", StringComparison.Ordinal) ? Answer.Json(seriesJson) : Answer.Multipart([.. files]));
        using var client = new DicomWebClient(Server(fake));
        var progress = new List<DicomWebProgress>();

        var series = Assert.Single(await client.FindSeriesAsync("1.2.826.0.1.3680043.9.7.1", new Dictionary<string, string> { ["Modality"] = "CT" }));
        var image = Assert.Single(await client.ReadSeriesAsync(series, e => Assert.Fail(e.Message), _ => { }, new InlineProgress(progress.Add)));

        var paths = files.Select((b, i) => Path.Combine(_folder, $"{i}.dcm")).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            File.WriteAllBytes(paths[i], files[i]);
        }

        var fromFiles = Assert.Single(new DicomImageReader().ReadMany(paths, e => Assert.Fail(e.Message), _ => { }));
        Assert.Null(ArchiveTestData.Difference(fromFiles, image));
        Assert.Equal(4, image.SizeZ);
        Assert.Equal(series.Uri.ToString(), image.SourcePath);
        Assert.Equal([1, 2, 3, 4], progress.Select(p => p.InstancesReceived));
        Assert.All(progress, p => Assert.Equal(4, p.InstancesExpected));
    }

    [Fact]
    public async Task SeriesWithMissingInstancesIsAnError()
    {
        var files = ArchiveTestData.CtSeries("1.2.826.0.1.3680043.9.7.2.2", 3);
        var seriesJson = """[{"0020000D":{"vr":"UI","Value":["1.2.826.0.1.3680043.9.7.1"]},"0020000E":{"vr":"UI","Value":["1.2.826.0.1.3680043.9.7.2.2"]},"00201209":{"vr":"IS","Value":[3]}}]""";
        using var fake = new FakeDicomWebServer((r, _) => r.Url!.AbsolutePath.EndsWith("/series", StringComparison.Ordinal) ? Answer.Json(seriesJson) : Answer.Multipart(files[0], files[2]));
        using var client = new DicomWebClient(Server(fake));

        var series = Assert.Single(await client.FindSeriesAsync(null, null));
        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.ReadSeriesAsync(series, _ => { }, _ => { }));

        Assert.Equal(DicomWebError.IncompleteSeries, e.Error);
        Assert.Contains("lists 3 instances", e.Message, StringComparison.Ordinal);
        Assert.Contains("sent 2", e.Message, StringComparison.Ordinal);
        Assert.Contains(series.Uri.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstancesRetrievedOneByOneAssembleLikeTheirFiles()
    {
        const string Study = "1.2.826.0.1.3680043.9.7.1", SeriesUid = "1.2.826.0.1.3680043.9.7.2.3";
        var files = ArchiveTestData.CtSeries(SeriesUid, 4);
        // Each instance URL ends in its index: /instances/1.2.3.<i>.
        using var fake = new FakeDicomWebServer((r, _) => Answer.Multipart(files[int.Parse(r.Url!.AbsolutePath.Split('.')[^1], System.Globalization.CultureInfo.InvariantCulture)]));
        var server = Server(fake);
        using var client = new DicomWebClient(server);
        var instances = Enumerable.Range(0, 4).Select(i => new DicomWebInstance { Server = server, StudyInstanceUID = Study, SeriesInstanceUID = SeriesUid, SOPInstanceUID = $"1.2.3.{i}" }).ToList();
        var progress = new List<DicomWebProgress>();

        var image = Assert.Single(await client.ReadInstancesAsync(instances, e => Assert.Fail(e.Message), _ => { }, new InlineProgress(progress.Add)));

        var paths = files.Select((b, i) => Path.Combine(_folder, $"{i}.dcm")).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            File.WriteAllBytes(paths[i], files[i]);
        }

        var fromFiles = Assert.Single(new DicomImageReader().ReadMany(paths, e => Assert.Fail(e.Message), _ => { }));
        Assert.Null(ArchiveTestData.Difference(fromFiles, image));
        Assert.Equal(server.Resolve($"studies/{Study}/series/{SeriesUid}").ToString(), image.SourcePath);
        Assert.Equal([1, 2, 3, 4], progress.Select(p => p.InstancesReceived));
        Assert.Equal(4, fake.Requests.Count);

        // A subset in any order gives the volume of that subset, sorted by position like files.
        var part = Assert.Single(await client.ReadInstancesAsync([instances[2], instances[0]], e => Assert.Fail(e.Message), _ => { }));
        Assert.Equal(2, part.SizeZ);
        var subsetFromFiles = Assert.Single(new DicomImageReader().ReadMany([paths[0], paths[2]], e => Assert.Fail(e.Message), _ => { }));
        Assert.Null(ArchiveTestData.Difference(subsetFromFiles, part));
    }

    [Fact]
    public async Task UnreachableServerFailsAtOnceNamingIt()
    {
        var port = FakeDicomWebServer.FreePort();
        using var client = new DicomWebClient(new DicomWebServer(new Uri($"http://127.0.0.1:{port}/dicom-web"), maxRetries: 3, retryDelay: TimeSpan.FromSeconds(5)));
        var sw = System.Diagnostics.Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.FindStudiesAsync(null));

        Assert.Equal(DicomWebError.Unreachable, e.Error);
        Assert.Null(e.StatusCode);
        Assert.Contains($"http://127.0.0.1:{port}/dicom-web", e.Message, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "a refused connection is not retried");
    }

    [Fact]
    public async Task SlowServerTimesOutAfterTheRetries()
    {
        using var fake = new FakeDicomWebServer((_, _) => Answer.Json(StudyJson) with { Delay = TimeSpan.FromSeconds(10) });
        // A timeout of 1 s (not less): on a loaded 2-core machine a shorter one can expire before the listener has even
        // read the request, and an attempt the server never saw would prove nothing about the retry.
        using var client = new DicomWebClient(new DicomWebServer(fake.Root, null, TimeSpan.FromSeconds(1), 1, TimeSpan.FromMilliseconds(10)));

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.FindStudiesAsync(null));

        Assert.Equal(DicomWebError.Timeout, e.Error);
        Assert.Contains("did not answer within 1 s (2 attempts)", e.Message, StringComparison.Ordinal);

        // On a loaded machine the listener may log the second request only after the client gave up on it.
        for (var wait = 0; wait < 100 && fake.Requests.Count < 2; wait++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public async Task CancellationStopsAWaitingRequest()
    {
        using var fake = new FakeDicomWebServer((_, _) => Answer.Json(StudyJson) with { Delay = TimeSpan.FromSeconds(10) });
        using var client = new DicomWebClient(Server(fake));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sw = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.FindStudiesAsync(null, cts.Token));

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task MultipartReaderFindsPartsSplitAcrossReads()
    {
        // Bodies that contain CRLF, dashes and a near-boundary, delivered 7 bytes per read.
        byte[][] parts = [Encoding.ASCII.GetBytes("first\r\n--DeepSimTestBoundary-3f1"), [0, 13, 10, 45, 45, 1, 2, 3], Encoding.ASCII.GetBytes(new string('x', 200_000))];
        var body = Answer.Multipart(parts);
        var reader = new MultipartReader(new TrickleStream(body.Body, 7), MultipartReader.Boundary(body.ContentType)!, new Uri("http://test/"));

        var read = new List<byte[]>();
        while (await reader.ReadPartAsync(CancellationToken.None) is { } part)
        {
            Assert.Equal("application/dicom", part.ContentType);
            read.Add(part.Body);
        }

        Assert.Equal(parts.Length, read.Count);
        for (var i = 0; i < parts.Length; i++)
        {
            Assert.Equal(parts[i], read[i]);
        }
    }

    [Fact]
    public async Task CappedAnswersArePagedWithOffsetUntilEveryMatchHasCome()
    {
        // A server that silently caps every answer at 2 matches (as Orthanc's LimitFindResults does) and honours offset.
        var uids = Enumerable.Range(1, 5).Select(i => $"1.2.3.{i}").ToArray();
        using var fake = new FakeDicomWebServer((r, _) =>
        {
            var query = System.Web.HttpUtility.ParseQueryString(r.Url!.Query);
            var offset = int.Parse(query["offset"] ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var limit = Math.Min(2, int.Parse(query["limit"] ?? "1000", System.Globalization.CultureInfo.InvariantCulture));
            var page = uids.Skip(offset).Take(limit).Select(u => "{\"0020000D\":{\"vr\":\"UI\",\"Value\":[\"" + u + "\"]}}");
            return Answer.Json("[" + string.Join(",", page) + "]");
        });
        using var client = new DicomWebClient(Server(fake));

        var studies = await client.FindStudiesAsync(null);

        Assert.Equal(uids, studies.Select(s => s.StudyInstanceUID));
        Assert.Equal(4, client.QueryRequests); // 2 + 2 + 1 + an empty page
        Assert.Equal(["", "&offset=2", "&offset=4", "&offset=5"], fake.Requests.Select(q => OffsetPart(q.PathAndQuery)));

        using var paged = new DicomWebClient(Server(fake)) { PageSize = 1 };
        Assert.Equal(uids, (await paged.FindStudiesAsync(null)).Select(s => s.StudyInstanceUID));
        Assert.Equal(6, paged.QueryRequests);
        Assert.Throws<ArgumentOutOfRangeException>(() => paged.PageSize = 0);
    }

    [Fact]
    public async Task AServerThatIgnoresOffsetStopsThePagingAtTheFirstRepeat()
    {
        using var fake = new FakeDicomWebServer((_, _) => Answer.Json(StudyJson));
        using var client = new DicomWebClient(Server(fake));

        Assert.Single(await client.FindStudiesAsync(null));
        Assert.Equal(2, fake.Requests.Count);
    }

    [Fact]
    public void PageUriAppendsLimitAndOffset()
    {
        var uri = new Uri("http://h/dicom-web/studies?PatientID=P1");
        Assert.Equal(uri, DicomWebClient.PageUri(uri, 0, null));
        Assert.Equal("http://h/dicom-web/studies?PatientID=P1&limit=50&offset=100", DicomWebClient.PageUri(uri, 100, 50).ToString());
        Assert.Equal("http://h/dicom-web/studies?offset=3", DicomWebClient.PageUri(new Uri("http://h/dicom-web/studies"), 3, null).ToString());
    }

    private static string OffsetPart(string pathAndQuery) =>
        pathAndQuery.IndexOf("&offset=", StringComparison.Ordinal) is var i and >= 0 ? pathAndQuery[i..] : string.Empty;

    [Fact]
    public void QueryValuesKeepDicomWildcardsAndEscapeTheRest()
    {
        Assert.Equal("P-*", DicomWebClient.EscapeQueryValue("P-*"));
        Assert.Equal("Doe^J?hn", DicomWebClient.EscapeQueryValue("Doe^J?hn").Replace("%5E", "^", StringComparison.Ordinal));
        Assert.Equal("1.2.3,1.2.4", DicomWebClient.EscapeQueryValue("1.2.3,1.2.4"));
        Assert.Equal("a%26b%3Dc%20d", DicomWebClient.EscapeQueryValue("a&b=c d"));
    }

    [Fact]
    public void CredentialsNeverShowTheirSecret()
    {
        var basic = DicomWebCredential.Basic("bob", ArchiveTestData.Secure("pw"));
        var bearer = DicomWebCredential.Bearer(ArchiveTestData.Secure("abc"));

        Assert.Equal("Basic (bob)", basic.ToString());
        Assert.Equal("Bearer", bearer.ToString());
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:pw")), basic.CreateHeader()!.ToString());
        Assert.Throws<ArgumentException>(() => DicomWebCredential.Basic("a:b", ArchiveTestData.Secure("pw")));
        Assert.Throws<ArgumentException>(() => new DicomWebServer(new Uri("ftp://host/dicom-web")));
    }

    private static DicomWebServer Server(FakeDicomWebServer fake, DicomWebCredential? credential = null, int retries = 3) =>
        new(fake.Root, credential, TimeSpan.FromSeconds(10), retries, TimeSpan.FromMilliseconds(10));

    private sealed class InlineProgress(Action<DicomWebProgress> report) : IProgress<DicomWebProgress>
    {
        public void Report(DicomWebProgress value) => report(value);
    }

    /// <summary>A stream that returns at most a few bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
