using System.Diagnostics;
using DeepSim.Imaging.Dicom;
using Xunit;

namespace DeepSim.Tests.Dicom;

/// <summary>Runs dcmtk / gdcm command-line tools as reference decoders.</summary>
internal static class DicomOracle
{
    /// <summary>The full path of a tool, or skips (fails under CI) when it is not installed.</summary>
    public static string RequireTool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p))
            {
                return p;
            }
        }

        var reason = $"reference tool '{name}' is not installed (apt-get install -y dcmtk libgdcm-tools).";
        if (TestData.InCi)
        {
            Assert.Fail("CI must have the DICOM reference tools: " + reason);
        }

        Skip.If(true, reason);
        return name;
    }

    /// <summary>Runs a tool; returns exit code, stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(RequireTool(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException($"{tool} did not finish in 60 s");
        }

        return (p.ExitCode, outTask.Result, errTask.Result);
    }

    /// <summary>
    /// gdcm's decoding of a file: `gdcmconv --raw` to an uncompressed explicit little endian copy, then `gdcmraw` of its
    /// pixel data. Returns the raw little-endian pixel bytes and the planar configuration of the copy, or null when gdcm fails.
    /// </summary>
    public static (byte[] Pixels, bool Planar)? DecodeWithGdcm(string path, string workDir, string tag = "7fe0,0010")
    {
        var converted = Path.Combine(workDir, Path.GetFileNameWithoutExtension(path) + ".gdcm.dcm");
        var raw = Path.Combine(workDir, Path.GetFileNameWithoutExtension(path) + ".gdcm.raw");
        var conv = Run("gdcmconv", "--raw", "-i", path, "-o", converted);
        if (conv.Code != 0 || !File.Exists(converted))
        {
            return null;
        }

        var r = Run("gdcmraw", "-i", converted, "-o", raw, "-t", tag);
        if (r.Code != 0 || !File.Exists(raw))
        {
            return null;
        }

        var planar = DicomFile.Open(converted).Dataset.Get(0x0028, 0x0006) == "1";
        return (File.ReadAllBytes(raw), planar);
    }

    /// <summary>dcmtk's decoding: `dcmconv +te` (uncompressed, deflated, big endian), `dcmdrle` or `dcmdjpeg`, then gdcmraw of the pixel data.</summary>
    public static (byte[] Pixels, bool Planar)? DecodeWithDcmtk(string path, string tool, string workDir, string tag = "7fe0,0010")
    {
        var converted = Path.Combine(workDir, Path.GetFileNameWithoutExtension(path) + ".dcmtk.dcm");
        var raw = Path.Combine(workDir, Path.GetFileNameWithoutExtension(path) + ".dcmtk.raw");
        var conv = tool == "dcmconv" ? Run(tool, "+te", path, converted) : Run(tool, path, converted);
        if (conv.Code != 0 || !File.Exists(converted))
        {
            return null;
        }

        var r = Run("gdcmraw", "-i", converted, "-o", raw, "-t", tag);
        if (r.Code != 0 || !File.Exists(raw))
        {
            return null;
        }

        var planar = DicomFile.Open(converted).Dataset.Get(0x0028, 0x0006) == "1";
        return (File.ReadAllBytes(raw), planar);
    }
}
