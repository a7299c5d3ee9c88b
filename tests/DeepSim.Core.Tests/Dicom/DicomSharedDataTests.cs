using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Dicom;

/// <summary>
/// Every file of the shared pydicom sets: decoded pixels must equal what gdcm (and dcmtk where it decodes the syntax)
/// decode; files DeepSim refuses must be refused for a stated, checked reason.
/// </summary>
public sealed class DicomSharedDataTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("deepsim-dicom-oracle-").FullName;

    /// <summary>Files that are damaged on purpose, with the error DeepSim must give.</summary>
    private static readonly Dictionary<string, ImageReadError> ExpectedFailures = new(StringComparer.Ordinal)
    {
        ["MR_truncated.dcm"] = ImageReadError.Truncated,
        ["rtplan_truncated.dcm"] = ImageReadError.Truncated,
    };

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        var root = TestData.RootOrNull;
        if (root is null)
        {
            data.Add("dicom/pydicom/MR_small.dcm");
            return data;
        }

        foreach (var folder in new[] { "dicom/pydicom", "dicom/pydicom-data" })
        {
            var dir = Path.Combine(root, folder);
            if (!Directory.Exists(dir))
            {
                data.Add(folder + "/MR_small.dcm");
                continue;
            }

            foreach (var f in Directory.GetFiles(dir, "*.dcm").Order(StringComparer.Ordinal))
            {
                data.Add(folder + "/" + Path.GetFileName(f));
            }
        }

        return data;
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void DecodesLikeReferenceDecodersOrRefusesWithReason(string relative)
    {
        var path = TestData.Require(relative);
        var name = Path.GetFileName(path);
        var reader = new DicomImageReader();
        MedicalImage image;
        try
        {
            image = reader.Read(path).Single();
        }
        catch (ImageReadException e)
        {
            output.WriteLine($"refused: {e.ErrorId}: {e.Message}");
            Assert.Equal(path, e.Path);
            CheckRefusal(path, name, e);
            return;
        }

        Assert.False(ExpectedFailures.ContainsKey(name), $"{name} should have failed with {ExpectedFailures.GetValueOrDefault(name)}");
        output.WriteLine($"decoded: {image} range {image.GetRange()}");
        var file = DicomFile.Open(path);
        var pixels = new DicomPixelData(file);
        var gdcm = DicomOracle.DecodeWithGdcm(path, _work);
        Assert.True(gdcm is not null, $"DeepSim decodes {name} but gdcm does not");
        CompareWithOracle(pixels, gdcm.Value.Pixels, gdcm.Value.Planar, "gdcm");

        var dcmtkTool = file.TransferSyntax.PixelEncoding switch
        {
            DicomPixelEncoding.Rle => "dcmdrle",
            DicomPixelEncoding.JpegLossless => "dcmdjpeg",
            _ => "dcmconv",
        };
        var dcmtk = DicomOracle.DecodeWithDcmtk(path, dcmtkTool, _work);
        if (dcmtk is null)
        {
            output.WriteLine($"dcmtk ({dcmtkTool}) does not convert {name}; compared with gdcm only");
        }
        else
        {
            CompareWithOracle(pixels, dcmtk.Value.Pixels, dcmtk.Value.Planar, "dcmtk " + dcmtkTool);
        }
    }

    private void CheckRefusal(string path, string name, ImageReadException e)
    {
        if (ExpectedFailures.TryGetValue(name, out var expected))
        {
            Assert.Equal(expected, e.Error);
            return;
        }

        switch (e.Error)
        {
            case ImageReadError.UnsupportedEncoding:
            {
                var file = DicomFile.Open(path);
                var ts = file.TransferSyntax;
                if (ts.PixelEncoding == DicomPixelEncoding.Unsupported)
                {
                    Assert.Contains(ts.Uid, e.Message, StringComparison.Ordinal);
                    Assert.Contains("gdcmconv --raw", e.Message, StringComparison.Ordinal);
                }
                else
                {
                    output.WriteLine("refused for its pixel layout, not its transfer syntax");
                }

                break;
            }

            case ImageReadError.NotAnImage:
            {
                var dump = DicomOracle.Run("dcmdump", "-q", "+P", "7fe0,0010", path);
                Assert.DoesNotContain("PixelData", dump.Out, StringComparison.Ordinal);
                break;
            }

            default:
                Assert.Fail($"{name}: unexpected refusal {e.ErrorId}: {e.Message}");
                break;
        }
    }

    private void CompareWithOracle(DicomPixelData pixels, byte[] oracle, bool oraclePlanar, string oracleName)
    {
        var frameSamples = pixels.Rows * pixels.Columns * pixels.Samples;
        for (var f = 0; f < pixels.Frames; f++)
        {
            var mine = pixels.GetNativeFrame(f, out var planar);
            byte[] expected;
            if (pixels.BitsAllocated == 1)
            {
                expected = new byte[frameSamples];
                for (var i = 0; i < frameSamples; i++)
                {
                    var bit = ((long)f * frameSamples) + i;
                    expected[i] = (byte)((oracle[bit >> 3] >> (int)(bit & 7)) & 1);
                }
            }
            else
            {
                var frameBytes = mine.Length;
                Assert.True(oracle.Length >= (f + 1) * frameBytes, $"{oracleName} gives {oracle.Length} bytes, fewer than {pixels.Frames} frames of {frameBytes}");
                expected = oracle.AsSpan(f * frameBytes, frameBytes).ToArray();
                var bps = Math.Max(1, pixels.BitsAllocated / 8);
                expected = ToInterleaved(expected, oraclePlanar, pixels.Samples, bps);
                mine = ToInterleaved(mine, planar, pixels.Samples, bps);
            }

            var mismatch = Array.FindIndex(mine, i => false);
            for (var i = 0; i < mine.Length; i++)
            {
                if (mine[i] != expected[i])
                {
                    mismatch = i;
                    break;
                }
            }

            Assert.True(mismatch < 0, $"frame {f}: byte {mismatch} differs from {oracleName} ({(mismatch >= 0 ? mine[mismatch] : 0)} vs {(mismatch >= 0 ? expected[mismatch] : 0)})");
        }

        output.WriteLine($"{pixels.Frames} frame(s) equal to {oracleName}");
    }

    private static byte[] ToInterleaved(byte[] data, bool planar, int samples, int bps)
    {
        if (!planar || samples == 1)
        {
            return data;
        }

        var pixels = data.Length / (samples * bps);
        var r = new byte[data.Length];
        for (var p = 0; p < pixels; p++)
        {
            for (var s = 0; s < samples; s++)
            {
                Array.Copy(data, ((s * pixels) + p) * bps, r, ((p * samples) + s) * bps, bps);
            }
        }

        return r;
    }
}
