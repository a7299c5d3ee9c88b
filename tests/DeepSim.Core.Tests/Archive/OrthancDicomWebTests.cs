using DeepSim.Archive;
using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Archive;

/// <summary>Starts one Orthanc for the tests of a class, on first use (so that a missing Orthanc skips instead of failing the fixture).</summary>
public sealed class OrthancFixture : IDisposable
{
    private readonly Lazy<OrthancServer> _server = new(() => new OrthancServer());

    public OrthancServer Server
    {
        get
        {
            OrthancServer.RequireInstalled();
            return _server.Value;
        }
    }

    public void Dispose()
    {
        if (_server.IsValueCreated)
        {
            _server.Value.Dispose();
        }
    }
}

/// <summary>The DICOMweb client against a real archive: Orthanc with its DICOMweb plugin, started for these tests.</summary>
public sealed class OrthancDicomWebTests(OrthancFixture orthanc, ITestOutputHelper output) : IClassFixture<OrthancFixture>
{
    /// <summary>
    /// Every shared DICOM file that the file reader decodes is uploaded (POST /instances), retrieved with WADO-RS and
    /// read by the same Part 10 reader: size, geometry, modality and every voxel (bit for bit) must equal the file's.
    /// Instances are deleted after each round trip, since several files hold the same instance in other encodings.
    /// </summary>
    [SkippableFact]
    public async Task EveryDecodableSharedFileRoundTripsIdentically()
    {
        var root = TestData.Require("dicom");
        var server = orthanc.Server;
        using var client = new DicomWebClient(new DicomWebServer(server.DicomWebRoot));
        var reader = new DicomImageReader();
        int files = 0, decoded = 0, identical = 0;
        var refused = new List<string>();
        var mismatches = new List<string>();
        foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            files++;
            MedicalImage fromFile;
            try
            {
                fromFile = reader.Read(path)[0];
            }
            catch (ImageReadException)
            {
                continue; // not an image the file reader decodes: not part of the comparison
            }

            decoded++;
            var (id, refusal) = server.Upload(File.ReadAllBytes(path));
            if (id is null)
            {
                refused.Add($"{Path.GetRelativePath(root, path)} ({refusal})");
                continue;
            }

            try
            {
                var (study, series, sop) = server.Uids(id);
                var instance = new DicomWebInstance { Server = client.Server, StudyInstanceUID = study, SeriesInstanceUID = series, SOPInstanceUID = sop };
                var fromWeb = await client.ReadInstanceAsync(instance);
                if (ArchiveTestData.Difference(fromFile, fromWeb) is { } difference)
                {
                    mismatches.Add($"{Path.GetRelativePath(root, path)}: {difference}");
                }
                else
                {
                    identical++;
                }
            }
            catch (Exception e) when (e is DicomWebException or ImageReadException)
            {
                mismatches.Add($"{Path.GetRelativePath(root, path)}: {e.Message}");
            }
            finally
            {
                server.Delete(id);
            }
        }

        output.WriteLine($"{files} shared files, {decoded} decoded by the file reader, {refused.Count} refused by Orthanc, {identical} identical after the DICOMweb round trip, {mismatches.Count} different.");
        foreach (var r in refused)
        {
            output.WriteLine("refused by Orthanc: " + r);
        }

        Assert.True(decoded > 50, $"only {decoded} decodable files found under {root}");
        Assert.Empty(mismatches);
        Assert.Equal(decoded - refused.Count, identical);

        // Orthanc refuses only objects that it cannot index (no meta header / no UIDs); most files must go through.
        Assert.True(identical >= decoded * 3 / 4, $"only {identical} of {decoded} decodable files went through Orthanc");
    }

    [SkippableFact]
    public async Task SeriesFoundByPatientAndModalityAssemblesLikeItsFiles()
    {
        var server = orthanc.Server;
        const string seriesUid = "1.2.826.0.1.3680043.9.7.3.1";
        var files = ArchiveTestData.CtSeries(seriesUid, 6, seed: 7);
        var ids = files.Select(f => server.Upload(f).Id ?? throw new InvalidOperationException("Orthanc refused a synthetic slice")).ToList();
        using var client = new DicomWebClient(new DicomWebServer(server.DicomWebRoot));
        var folder = Directory.CreateTempSubdirectory("deepsim-orthanc-series-").FullName;
        try
        {
            var study = Assert.Single(await client.FindStudiesAsync(new Dictionary<string, string> { ["PatientID"] = "DS-0001", ["ModalitiesInStudy"] = "CT" }));
            Assert.Contains("CT", study.ModalitiesInStudy);
            Assert.Empty(await client.FindStudiesAsync(new Dictionary<string, string> { ["PatientID"] = "nobody" }));
            Assert.Equal(study.StudyInstanceUID, Assert.Single(await client.FindStudiesAsync(new Dictionary<string, string> { ["PatientID"] = "DS-00*" })).StudyInstanceUID);
            Assert.Single(await client.FindStudiesAsync(new Dictionary<string, string> { ["PatientID"] = "DS-000?" }));
            var series = Assert.Single(await client.FindSeriesAsync(study.StudyInstanceUID, new Dictionary<string, string> { ["Modality"] = "CT" }));
            Assert.Equal(seriesUid, series.SeriesInstanceUID);
            Assert.Equal(6, series.NumberOfSeriesRelatedInstances);
            Assert.Equal(6, (await client.FindInstancesAsync(study.StudyInstanceUID, seriesUid)).Count);

            var progress = new List<int>();
            var image = Assert.Single(await client.ReadSeriesAsync(series, e => Assert.Fail(e.Message), _ => { }, new InlineProgress(p => progress.Add(p.InstancesReceived))));

            var paths = files.Select((b, i) => Path.Combine(folder, $"{i}.dcm")).ToList();
            for (var i = 0; i < files.Count; i++)
            {
                File.WriteAllBytes(paths[i], files[i]);
            }

            var fromFiles = Assert.Single(new DicomImageReader().ReadMany(paths, e => Assert.Fail(e.Message), _ => { }));
            Assert.Null(ArchiveTestData.Difference(fromFiles, image));
            Assert.Equal([1, 2, 3, 4, 5, 6], progress);
            Assert.Equal("DS-0001", image.Metadata["PatientID"]);
        }
        finally
        {
            ids.ForEach(server.Delete);
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public async Task UnknownSeriesIsNotFoundFromTheRealServer()
    {
        var server = orthanc.Server;
        using var client = new DicomWebClient(new DicomWebServer(server.DicomWebRoot));
        var missing = new DicomWebSeries { Server = client.Server, StudyInstanceUID = "1.2.3.404", SeriesInstanceUID = "1.2.3.404.1" };

        var e = await Assert.ThrowsAsync<DicomWebException>(() => client.ReadSeriesAsync(missing, _ => { }, _ => { }));

        Assert.Equal(DicomWebError.NotFound, e.Error);
        Assert.Equal(404, e.StatusCode);
        Assert.Contains(server.DicomWebRoot.ToString().TrimEnd('/'), e.Message, StringComparison.Ordinal);
    }

    private sealed class InlineProgress(Action<DicomWebProgress> report) : IProgress<DicomWebProgress>
    {
        public void Report(DicomWebProgress value) => report(value);
    }
}

/// <summary>Orthanc with basic authentication (RegisteredUsers): right, wrong and missing credentials.</summary>
public sealed class OrthancAuthenticationTests
{
    [SkippableFact]
    public async Task BasicAuthenticationAgainstOrthanc()
    {
        OrthancServer.RequireInstalled();
        using var server = new OrthancServer("radiologist", "c0rrect-h0rse");
        var root = server.DicomWebRoot;
        using var right = new DicomWebClient(new DicomWebServer(root, DicomWebCredential.Basic("radiologist", ArchiveTestData.Secure("c0rrect-h0rse"))));
        using var wrong = new DicomWebClient(new DicomWebServer(root, DicomWebCredential.Basic("radiologist", ArchiveTestData.Secure("battery-staple"))));
        using var none = new DicomWebClient(new DicomWebServer(root));
        Assert.NotNull(server.Upload(ArchiveTestData.CtSeries("1.2.826.0.1.3680043.9.7.4.1", 1)[0]).Id);

        Assert.Single(await right.FindStudiesAsync(null));
        var e = await Assert.ThrowsAsync<DicomWebException>(() => wrong.FindStudiesAsync(null));
        var e2 = await Assert.ThrowsAsync<DicomWebException>(() => none.FindStudiesAsync(null));

        Assert.Equal(DicomWebError.Unauthorized, e.Error);
        Assert.Equal(401, e.StatusCode);
        Assert.Contains(root.ToString().TrimEnd('/'), e.Message, StringComparison.Ordinal);
        Assert.Equal(DicomWebError.Unauthorized, e2.Error);
    }
}
