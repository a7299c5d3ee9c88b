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

        // Encapsulated pixel data cut short (and JPEG 2000 anyway).
        ["emri_small_jpeg_2k_lossless_too_short.dcm"] = ImageReadError.Truncated,

        // Starts with a stray byte before (0008,0005): dcmtk and gdcm refuse it too.
        ["no_meta.dcm"] = ImageReadError.UnknownFormat,
    };

    /// <summary>
    /// Where one reference decoder is known to be wrong and the other agrees with DeepSim (checked: both must still run).
    /// gdcm 3.0.21 decodes 16/32-bit RGB RLE with its segments in the wrong byte order; dcmtk's dcmdrle matches the
    /// uncompressed SC_rgb_16bit/32bit files.
    /// </summary>
    private static readonly HashSet<(string File, string Oracle)> KnownOracleErrors =
    [
        ("SC_rgb_rle_16bit.dcm", "gdcm"),
        ("SC_rgb_rle_16bit_2frame.dcm", "gdcm"),
        ("SC_rgb_rle_32bit.dcm", "gdcm"),
        ("SC_rgb_rle_32bit_2frame.dcm", "gdcm"),
    ];

    /// <summary>
    /// Files neither reference decoder decodes (gdcm 3.0.21 and dcmtk 3.6.7 refuse 1-bit RLE), checked instead against an
    /// uncompressed sibling with the same pixels, itself checked against the decoders.
    /// </summary>
    private static readonly Dictionary<string, string> UncompressedSiblings = new(StringComparer.Ordinal)
    {
        ["liver_rle.dcm"] = "liver.dcm",
        ["liver_nonbyte_aligned_rle.dcm"] = "liver_nonbyte_aligned.dcm",
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
        var tag = file.Dataset.Contains(DicomTags.FloatPixelData) ? "7fe0,0008" : file.Dataset.Contains(DicomTags.DoubleFloatPixelData) ? "7fe0,0009" : "7fe0,0010";
        var dcmtkTool = file.TransferSyntax.PixelEncoding switch
        {
            DicomPixelEncoding.Rle => "dcmdrle",
            DicomPixelEncoding.JpegLossless => "dcmdjpeg",
            _ => "dcmconv",
        };
        var oracles = new (string Name, (byte[] Pixels, bool Planar)? Result)[]
        {
            ("gdcm", DicomOracle.DecodeWithGdcm(path, _work, tag)),
            ("dcmtk", DicomOracle.DecodeWithDcmtk(path, dcmtkTool, _work, tag)),
        };
        if (oracles.All(o => o.Result is null) && UncompressedSiblings.TryGetValue(name, out var sibling))
        {
            var reference = new DicomPixelData(DicomFile.Open(Path.Combine(Path.GetDirectoryName(path)!, sibling)));
            Assert.Equal(reference.Frames, pixels.Frames);
            for (var f = 0; f < pixels.Frames; f++)
            {
                Assert.Equal(reference.GetNativeFrame(f, out _), pixels.GetNativeFrame(f, out _));
            }

            output.WriteLine($"no reference decoder reads {name}; equal to its uncompressed sibling {sibling}");
            return;
        }

        Assert.True(oracles.Any(o => o.Result is not null), $"DeepSim decodes {name} but neither gdcm nor dcmtk ({dcmtkTool}) does");
        var agreed = 0;
        foreach (var (oracle, result) in oracles)
        {
            if (result is null)
            {
                output.WriteLine($"{oracle} does not decode {name}");
                continue;
            }

            var difference = CompareWithOracle(pixels, result.Value.Pixels, result.Value.Planar) ?? CompareValues(image, pixels, file, result.Value.Pixels);
            if (difference is null)
            {
                agreed++;
                output.WriteLine($"{pixels.Frames} frame(s) equal to {oracle}");
            }
            else if (KnownOracleErrors.Contains((name, oracle)))
            {
                output.WriteLine($"{oracle} differs as known: {difference}");
            }
            else
            {
                Assert.Fail($"{name}: {oracle} disagrees: {difference}");
            }
        }

        Assert.True(agreed > 0, $"{name}: no reference decoder agrees");
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
                var dump = DicomOracle.Run("dcmdump", "-q", "+P", "7fe0,0010", "+P", "0028,0010", path);
                Assert.True(!dump.Out.Contains("PixelData", StringComparison.Ordinal) || !dump.Out.Contains("Rows", StringComparison.Ordinal), $"dcmdump finds pixel data and rows in {name}");
                break;
            }

            default:
                Assert.Fail($"{name}: unexpected refusal {e.ErrorId}: {e.Message}");
                break;
        }
    }

    private static string? CompareWithOracle(DicomPixelData pixels, byte[] oracle, bool oraclePlanar)
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
                if (oracle.Length < (f + 1) * frameBytes)
                {
                    return $"{oracle.Length} bytes, fewer than {pixels.Frames} frames of {frameBytes}";
                }

                expected = oracle.AsSpan(f * frameBytes, frameBytes).ToArray();
                var bps = Math.Max(1, pixels.BitsAllocated / 8);
                expected = ToInterleaved(expected, oraclePlanar, pixels.Samples, bps);
                mine = ToInterleaved(mine, planar, pixels.Samples, bps);
            }

            for (var i = 0; i < mine.Length; i++)
            {
                if (mine[i] != expected[i])
                {
                    return $"frame {f}: byte {i} is {mine[i]}, reference {expected[i]}";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// For monochrome integer images: the voxels must be the reference decoder's raw words, masked to Bits Stored at High Bit,
    /// sign-extended when Pixel Representation is 1, inverted for MONOCHROME1, times Rescale Slope plus Rescale Intercept
    /// (attributes as dcmdump reads them, computed here independently of DeepSim's conversion code).
    /// </summary>
    private static string? CompareValues(MedicalImage image, DicomPixelData pixels, DicomFile file, byte[] oracle)
    {
        if (pixels.Samples != 1 || pixels.Photometric is not ("MONOCHROME1" or "MONOCHROME2") || pixels.BitsAllocated is not (8 or 16 or 32) ||
            pixels.Kind is DicomPixelData.PixelKind.Float32 or DicomPixelData.PixelKind.Float64)
        {
            return null;
        }

        var dump = DicomOracle.Run("dcmdump", "-q", "+P", "0028,0101", "+P", "0028,0102", "+P", "0028,0103", "+P", "0028,1052", "+P", "0028,1053", "+P", "0028,0100", file.Path).Out;
        double Attr(string tag, double fallback)
        {
            var line = dump.Split('\n').FirstOrDefault(l => l.StartsWith(tag, StringComparison.Ordinal));
            if (line is null)
            {
                return fallback;
            }

            var v = line[15..].Split('#')[0].Trim().Trim('[', ']').Split('\\')[0];
            return double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : fallback;
        }

        var allocated = (int)Attr("(0028,0100)", 16);
        var stored = (int)Attr("(0028,0101)", allocated);
        var high = (int)Attr("(0028,0102)", stored - 1);
        var signed = Attr("(0028,0103)", 0) == 1;
        var intercept = Attr("(0028,1052)", 0);
        var slope = Attr("(0028,1053)", 1);
        if (slope == 0)
        {
            slope = 1;
        }

        var bytesPer = allocated / 8;
        var n = pixels.Rows * pixels.Columns;
        var total = Math.Min((long)n * pixels.Frames, oracle.Length / bytesPer);
        for (long i = 0; i < total; i += 7)
        {
            ulong word = bytesPer switch
            {
                1 => oracle[i],
                2 => BitConverter.ToUInt16(oracle, (int)(i * 2)),
                _ => BitConverter.ToUInt32(oracle, (int)(i * 4)),
            };
            var value = (long)((word >> (high + 1 - stored)) & ((1UL << stored) - 1));
            if (signed && (value & (1L << (stored - 1))) != 0)
            {
                value -= 1L << stored;
            }

            if (pixels.Photometric == "MONOCHROME1")
            {
                value = signed ? -1 - value : ((1L << stored) - 1) - value;
            }

            var expected = (float)((value * slope) + intercept);
            var actual = image.VoxelSpan[(int)i];
            if (Math.Abs(expected - actual) > 1e-6 * Math.Max(1, Math.Abs(expected)))
            {
                return $"voxel {i} is {actual}, expected {expected} from the reference's stored value {value}";
            }
        }

        return null;
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
