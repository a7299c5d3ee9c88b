using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace DeepSim.Tests.Archive;

/// <summary>
/// A real Orthanc (Debian's orthanc + orthanc-dicomweb) started as a plain process on a free loopback port with its own
/// temporary storage folder and configuration, stopped (and its folder removed) on Dispose, also after a failed test.
/// Skips with a reason when Orthanc is not installed (fails in CI, where .ci/run installs it).
/// </summary>
public sealed class OrthancServer : IDisposable
{
    public const string Executable = "/usr/sbin/Orthanc";
    public const string DicomWebPlugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

    private readonly Process _process;
    private readonly HttpClient _rest;
    private readonly string _folder;

    public OrthancServer(string? user = null, string? password = null)
    {
        RequireInstalled();
        _folder = Path.Combine(Path.GetTempPath(), "deepsim-orthanc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_folder, "db"));
        Port = FreePort();
        var config = new Dictionary<string, object?>
        {
            ["Name"] = "DeepSimTest",
            ["HttpPort"] = Port,
            ["StorageDirectory"] = Path.Combine(_folder, "db"),
            ["IndexDirectory"] = Path.Combine(_folder, "db"),
            ["DicomServerEnabled"] = false,
            ["RemoteAccessAllowed"] = false,
            ["HttpTimeout"] = 60,
            ["StorageCompression"] = false,
            ["Plugins"] = new[] { DicomWebPlugin },
            ["DicomWeb"] = new Dictionary<string, object> { ["Enable"] = true, ["Root"] = "/dicom-web/" },
            ["AuthenticationEnabled"] = user is not null,
            ["RegisteredUsers"] = user is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [user] = password! },
        };
        var configPath = Path.Combine(_folder, "config.json");
        File.WriteAllText(configPath, JsonSerializer.Serialize(config));
        LogPath = Path.Combine(_folder, "orthanc.log");
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder,
        };
        info.ArgumentList.Add("--logfile=" + LogPath);
        info.ArgumentList.Add(configPath);
        _process = Process.Start(info) ?? throw new InvalidOperationException("Orthanc did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _rest = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}/"), Timeout = TimeSpan.FromSeconds(30) };
        if (user is not null)
        {
            _rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        }

        try
        {
            WaitUntilReady();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    public string LogPath { get; }

    /// <summary>The DICOMweb root.</summary>
    public Uri DicomWebRoot => new($"http://127.0.0.1:{Port}/dicom-web/");

    /// <summary>Skips (or fails in CI) when Orthanc or its DICOMweb plugin is missing.</summary>
    public static void RequireInstalled()
    {
        if (File.Exists(Executable) && File.Exists(DicomWebPlugin))
        {
            return;
        }

        var reason = $"Orthanc with its DICOMweb plugin is not installed ({Executable}, {DicomWebPlugin}); apt-get install orthanc orthanc-dicomweb.";
        if (TestData.InCi)
        {
            Assert.Fail("CI must have Orthanc: " + reason);
        }

        Skip.If(true, reason);
    }

    /// <summary>Uploads a file through Orthanc's REST API; returns its Orthanc id, or null with the reason when Orthanc refuses it.</summary>
    public (string? Id, string? Refusal) Upload(byte[] bytes)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        using var response = _rest.PostAsync("instances", content).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            return (null, $"{(int)response.StatusCode}: {body.ReplaceLineEndings(" ")}");
        }

        using var doc = JsonDocument.Parse(body);
        return (doc.RootElement.GetProperty("ID").GetString(), null);
    }

    /// <summary>The Study, Series and SOP Instance UIDs of a stored instance, as Orthanc indexed them.</summary>
    public (string Study, string Series, string Sop) Uids(string id)
    {
        var json = _rest.GetStringAsync($"instances/{id}/simplified-tags").GetAwaiter().GetResult();
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        return (r.GetProperty("StudyInstanceUID").GetString()!, r.GetProperty("SeriesInstanceUID").GetString()!, r.GetProperty("SOPInstanceUID").GetString()!);
    }

    public void Delete(string id)
    {
        using var response = _rest.DeleteAsync($"instances/{id}").GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
        _rest.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held: the temp folder is cleaned by the system
        }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private void WaitUntilReady()
    {
        var sw = Stopwatch.StartNew();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Orthanc exited with code {_process.ExitCode} at start; log: {ReadLog()}");
            }

            try
            {
                // Any HTTP answer (401 included when authentication is on) means it is listening.
                using var r = probe.GetAsync($"http://127.0.0.1:{Port}/system").GetAwaiter().GetResult();
                return;
            }
            catch (HttpRequestException)
            {
                Thread.Sleep(100);
            }
            catch (TaskCanceledException)
            {
                Thread.Sleep(100);
            }
        }

        throw new InvalidOperationException($"Orthanc did not answer on port {Port} within 30 s; log: {ReadLog()}");
    }

    private string ReadLog()
    {
        try
        {
            var text = File.ReadAllText(LogPath);
            return text.Length > 2000 ? text[^2000..] : text;
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}
