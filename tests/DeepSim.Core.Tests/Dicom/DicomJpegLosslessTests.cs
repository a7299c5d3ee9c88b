using DeepSim.Imaging.Dicom;
using Xunit;

namespace DeepSim.Tests.Dicom;

/// <summary>
/// JPEG lossless process 14 with every predictor (selection values 1-7) and a point transform: files encoded by dcmtk's
/// dcmcjpeg, decoded by DeepSim and by dcmdjpeg / gdcm, pixels compared byte for byte.
/// </summary>
public sealed class DicomJpegLosslessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsim-dicom-jpegll-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableTheory]
    [InlineData("dicom/pydicom/CT_small.dcm", 1, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 2, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 3, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 4, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 5, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 6, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 7, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 4, 2)]
    [InlineData("dicom/pydicom/MR_small.dcm", 7, 0)]
    [InlineData("dicom/pydicom-data/SC_rgb.dcm", 1, 0)]
    [InlineData("dicom/pydicom-data/SC_rgb.dcm", 6, 0)]
    [InlineData("dicom/pydicom-data/SC_rgb_2frame.dcm", 5, 0)]
    [InlineData("dicom/pydicom-data/emri_small.dcm", 2, 1)]
    public void EveryPredictorDecodesLikeDcmtkAndGdcm(string relative, int selectionValue, int pointTransform)
    {
        var source = TestData.Require(relative);
        var encoded = Path.Combine(_dir, $"sv{selectionValue}pt{pointTransform}.dcm");
        var (code, _, err) = DicomOracle.Run("dcmcjpeg", "+el", "+sv", selectionValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "+pt", pointTransform.ToString(System.Globalization.CultureInfo.InvariantCulture), source, encoded);
        Assert.True(code == 0, err);
        var file = DicomFile.Open(encoded);
        Assert.Equal("1.2.840.10008.1.2.4.57", file.TransferSyntax.Uid);
        var pixels = new DicomPixelData(file);

        var references = new[] { DicomOracle.DecodeWithDcmtk(encoded, "dcmdjpeg", _dir), DicomOracle.DecodeWithGdcm(encoded, _dir) };
        Assert.All(references, r => Assert.NotNull(r));
        foreach (var reference in references)
        {
            var (bytes, planar) = reference!.Value;
            Assert.False(planar && pixels.Samples > 1, "reference output is planar");
            var frameBytes = pixels.GetNativeFrame(0, out _).Length;
            for (var f = 0; f < pixels.Frames; f++)
            {
                Assert.Equal(bytes.AsSpan(f * frameBytes, frameBytes).ToArray(), pixels.GetNativeFrame(f, out _));
            }
        }

        if (pointTransform == 0)
        {
            // Lossless: also equal to the source.
            var original = new DicomPixelData(DicomFile.Open(source));
            if (!original.Planar)
            {
                for (var f = 0; f < pixels.Frames; f++)
                {
                    Assert.Equal(original.GetNativeFrame(f, out _), pixels.GetNativeFrame(f, out _));
                }
            }
        }
    }

    /// <summary>
    /// Restart intervals (whole lines, as T.81 annex H uses them) with several predictors: encoded by a small encoder in this
    /// test, decoded by dcmdjpeg and gdcm as references and by DeepSim; all must give back the original samples.
    /// </summary>
    [SkippableTheory]
    [InlineData(1, 0)]
    [InlineData(1, 23)]
    [InlineData(4, 46)]
    [InlineData(6, 23)]
    [InlineData(7, 69)]
    public void RestartIntervalsDecodeLikeTheReferences(int predictor, int restartInterval)
    {
        const int width = 23;
        const int height = 17;
        var rng = new Random(predictor + restartInterval);
        var samples = new ushort[width * height];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (ushort)(30000 + (i % width * 900) - (i / width * 700) + rng.Next(-300, 300));
        }

        samples[5] = 0;
        samples[6] = 65535; // extreme differences, including category 16
        var jpeg = EncodeLossless(samples, width, height, predictor, restartInterval);
        var path = Path.Combine(_dir, $"ri{restartInterval}p{predictor}.dcm");
        var w = new DicomTestWriter()
            .UShort(0x0028, 0x0002, 1).Text(0x0028, 0x0004, "CS", "MONOCHROME2")
            .UShort(0x0028, 0x0010, height).UShort(0x0028, 0x0011, width)
            .UShort(0x0028, 0x0100, 16).UShort(0x0028, 0x0101, 16).UShort(0x0028, 0x0102, 15).UShort(0x0028, 0x0103, 0);
        var body = w.ToBytes(transferSyntaxUid: "1.2.840.10008.1.2.4.57");
        var padded = jpeg.Length % 2 == 1 ? [.. jpeg, 0] : jpeg;
        using (var fs = File.Create(path))
        {
            fs.Write(body);
            fs.Write([0xE0, 0x7F, 0x10, 0x00, (byte)'O', (byte)'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
            fs.Write([0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
            fs.Write([0xFE, 0xFF, 0x00, 0xE0]);
            fs.Write(BitConverter.GetBytes(padded.Length));
            fs.Write(padded);
            fs.Write([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        }

        var expected = new byte[samples.Length * 2];
        Buffer.BlockCopy(samples, 0, expected, 0, expected.Length);
        foreach (var reference in new[] { DicomOracle.DecodeWithDcmtk(path, "dcmdjpeg", _dir), DicomOracle.DecodeWithGdcm(path, _dir) })
        {
            Assert.NotNull(reference);
            Assert.Equal(expected, reference.Value.Pixels.AsSpan(0, expected.Length).ToArray());
        }

        var mine = new DicomPixelData(DicomFile.Open(path)).GetNativeFrame(0, out _);
        Assert.Equal(expected, mine);
    }

    /// <summary>A baseline JPEG lossless (SOF3) encoder: one 16-bit component, one Huffman table (17 categories, 5-bit codes).</summary>
    private static byte[] EncodeLossless(ushort[] samples, int width, int height, int predictor, int restartInterval)
    {
        var output = new List<byte> { 0xFF, 0xD8 };
        output.AddRange([0xFF, 0xC3, 0, 11, 16, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]);
        var bits = new byte[16];
        bits[4] = 17;
        output.AddRange([0xFF, 0xC4, 0, (byte)(3 + 16 + 17), 0x00]);
        output.AddRange(bits);
        output.AddRange(Enumerable.Range(0, 17).Select(v => (byte)v));
        if (restartInterval > 0)
        {
            output.AddRange([0xFF, 0xDD, 0, 4, (byte)(restartInterval >> 8), (byte)restartInterval]);
        }

        output.AddRange([0xFF, 0xDA, 0, 8, 1, 1, 0x00, (byte)predictor, 0, 0]);
        ulong acc = 0;
        var count = 0;
        void Put(int value, int length)
        {
            for (var b = length - 1; b >= 0; b--)
            {
                acc = (acc << 1) | (uint)((value >> b) & 1);
                if (++count == 8)
                {
                    output.Add((byte)acc);
                    if ((byte)acc == 0xFF)
                    {
                        output.Add(0);
                    }

                    acc = 0;
                    count = 0;
                }
            }
        }

        var restart = 0;
        var firstLine = true;
        for (var i = 0; i < samples.Length; i++)
        {
            var x = i % width;
            var y = i / width;
            var restartStart = i == 0;
            if (restartInterval > 0 && i > 0 && i % restartInterval == 0)
            {
                while (count != 0)
                {
                    Put(1, 1);
                }

                output.AddRange([0xFF, (byte)(0xD0 + (restart++ & 7))]);
                restartStart = true;
                firstLine = true;
            }

            if (x == 0 && y > 0 && !restartStart)
            {
                firstLine = false;
            }

            int pred;
            if (restartStart)
            {
                pred = 1 << 15;
            }
            else if (firstLine)
            {
                pred = x > 0 ? samples[i - 1] : samples[i - width];
            }
            else if (x == 0)
            {
                pred = samples[i - width];
            }
            else
            {
                int ra = samples[i - 1], rb = samples[i - width], rc = samples[i - width - 1];
                pred = predictor switch
                {
                    1 => ra,
                    2 => rb,
                    3 => rc,
                    4 => ra + rb - rc,
                    5 => ra + ((rb - rc) >> 1),
                    6 => rb + ((ra - rc) >> 1),
                    _ => (ra + rb) >> 1,
                };
            }

            var diff = (samples[i] - pred) & 0xFFFF;
            if (diff >= 32768)
            {
                diff -= 65536;
            }

            if (diff == -32768)
            {
                Put(16, 5);
                continue;
            }

            var magnitude = Math.Abs(diff);
            var category = magnitude == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)magnitude);
            Put(category, 5);
            if (category > 0)
            {
                Put(diff < 0 ? diff + (1 << category) - 1 : diff, category);
            }
        }

        while (count != 0)
        {
            Put(1, 1);
        }

        output.AddRange([0xFF, 0xD9]);
        return [.. output];
    }
}
