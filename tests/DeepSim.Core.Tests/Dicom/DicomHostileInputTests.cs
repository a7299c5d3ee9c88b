using System.Buffers.Binary;
using System.Diagnostics;
using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Dicom;

/// <summary>Broken, hostile and mutated input: a clear <see cref="ImageReadException"/> or a valid read, nothing else.</summary>
public sealed class DicomHostileInputTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsim-dicom-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ImageReadException ReadFails(byte[] bytes, string name = "x.dcm")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ImageReadException>(() => new DicomImageReader().Read(path));
        Assert.Equal(path, e.Path);
        output.WriteLine($"{e.ErrorId}: {e.Message}");
        return e;
    }

    private static byte[] Preamble() => [.. new byte[128], .. "DICM"u8];

    /// <summary>An explicit VR little endian element header (short-length VRs).</summary>
    private static byte[] Element(ushort group, ushort element, string vr, byte[] value)
    {
        var h = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(h, group);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(2), element);
        h[4] = (byte)vr[0];
        h[5] = (byte)vr[1];
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), (ushort)value.Length);
        return [.. h, .. value];
    }

    /// <summary>An explicit VR little endian element header with a 4-byte length (OB, OW, SQ, UN, UT ...).</summary>
    private static byte[] LongHeader(ushort group, ushort element, string vr, uint length)
    {
        var h = new byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(h, group);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(2), element);
        h[4] = (byte)vr[0];
        h[5] = (byte)vr[1];
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), length);
        return h;
    }

    private static byte[] Item(uint length)
    {
        var h = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(h, 0xFFFE);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(2), 0xE000);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), length);
        return h;
    }

    private static byte[] Meta() =>
        [.. Preamble(), .. Element(0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1\0"u8.ToArray())];

    [Fact]
    public void EmptyFileIsTruncated()
    {
        var e = ReadFails([]);
        Assert.Equal(ImageReadError.Truncated, e.Error);
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomBytesAreNotDicom()
    {
        var rng = new Random(42);
        var bytes = new byte[4096];
        rng.NextBytes(bytes);
        bytes[0] = 0x37; // not a plausible group
        Assert.False(new DicomImageReader().CanRead("r.bin", bytes));
        Assert.Equal(ImageReadError.UnknownFormat, ReadFails(bytes).Error);
    }

    [Fact]
    public void RandomBytesAfterTheMagicGiveAClearError()
    {
        var rng = new Random(43);
        var tail = new byte[2048];
        rng.NextBytes(tail);
        var e = ReadFails([.. Preamble(), .. tail]);
        Assert.True(e.Error is ImageReadError.CorruptHeader or ImageReadError.Truncated or ImageReadError.NotAnImage, e.ErrorId);
    }

    [Fact]
    public void LengthLargerThanTheFileIsTruncatedWithOffset()
    {
        var bytes = (byte[])[.. Meta(), .. Element(0x0008, 0x0060, "CS", "CT"u8.ToArray()), .. LongHeader(0x0010, 0x0010, "UT", 5000), .. new byte[10]];
        var e = ReadFails(bytes);
        Assert.Equal(ImageReadError.Truncated, e.Error);
        Assert.Equal(Meta().Length + 10, e.Offset);
    }

    [Fact]
    public void FourGigabyteLengthAllocatesNothingAndFails()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var bytes = (byte[])[.. Meta(), .. LongHeader(0x7FE0, 0x0010, "OB", 0xFFFFFFF0), .. new byte[64]];
        var e = ReadFails(bytes);
        Assert.Equal(ImageReadError.Truncated, e.Error);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
    }

    [Fact]
    public void SequenceThatNeverEndsIsTruncated()
    {
        // Undefined-length sequence, undefined-length item, elements until the end of file, no delimiters.
        var bytes = (byte[])[.. Meta(), .. LongHeader(0x0008, 0x1140, "SQ", 0xFFFFFFFF), .. Item(0xFFFFFFFF), .. Element(0x0008, 0x1150, "UI", "1.2\0"u8.ToArray())];
        Assert.Equal(ImageReadError.Truncated, ReadFails(bytes).Error);
    }

    [Fact]
    public void DeeplyNestedSequencesAreRefusedNotRecursedForever()
    {
        var nested = new List<byte>(Meta());
        for (var i = 0; i < 10_000; i++)
        {
            nested.AddRange(LongHeader(0x0008, 0x1140, "SQ", 0xFFFFFFFF));
            nested.AddRange(Item(0xFFFFFFFF));
        }

        var e = ReadFails([.. nested]);
        Assert.Equal(ImageReadError.CorruptHeader, e.Error);
        Assert.Contains("nested", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsurdImageSizeIsRefusedBeforeAllocating()
    {
        var w = new DicomTestWriter()
            .UShort(0x0028, 0x0010, 65535).UShort(0x0028, 0x0011, 65535).UShort(0x0028, 0x0100, 16).UShort(0x0028, 0x0101, 16)
            .Text(0x0028, 0x0008, "IS", "2000000")
            .Bytes(0x7FE0, 0x0010, "OW", new byte[64]);
        var bytes = w.ToBytes();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = ReadFails(bytes);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ImageReadError.AbsurdDimensions, e.Error);
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void PixelDataShorterThanTheImageIsADataSizeMismatch()
    {
        var w = new DicomTestWriter()
            .UShort(0x0028, 0x0010, 64).UShort(0x0028, 0x0011, 64).UShort(0x0028, 0x0100, 16).UShort(0x0028, 0x0101, 16)
            .Bytes(0x7FE0, 0x0010, "OW", new byte[1000]);
        Assert.Equal(ImageReadError.DataSizeMismatch, ReadFails(w.ToBytes()).Error);
    }

    [Fact]
    public void CompressedSyntaxWeDoNotDecodeNamesItAndTheConversion()
    {
        var bytes = (byte[])[
            .. Preamble(), .. Element(0x0002, 0x0010, "UI", "1.2.840.10008.1.2.4.90"u8.ToArray()),
            .. Element(0x0028, 0x0010, "US", [8, 0]), .. Element(0x0028, 0x0011, "US", [8, 0]), .. Element(0x0028, 0x0100, "US", [8, 0]),
            .. LongHeader(0x7FE0, 0x0010, "OB", 0xFFFFFFFF), .. Item(0), .. Item(4), 1, 2, 3, 4, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0];
        var e = ReadFails(bytes);
        Assert.Equal(ImageReadError.UnsupportedEncoding, e.Error);
        Assert.Contains("1.2.840.10008.1.2.4.90", e.Message, StringComparison.Ordinal);
        Assert.Contains("JPEG 2000", e.Message, StringComparison.Ordinal);
        Assert.Contains("gdcmconv --raw", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BrokenRleAndJpegStreamsGiveClearErrors()
    {
        foreach (var (ts, payload) in new[] { ("1.2.840.10008.1.2.5", new byte[] { 1, 0, 0, 0, 200, 0, 0, 0 }), ("1.2.840.10008.1.2.4.70", new byte[] { 0xFF, 0xD8, 0xFF, 0xC3, 0, 2 }) })
        {
            var frame = payload.Concat(new byte[120]).ToArray();
            var bytes = (byte[])[
                .. Preamble(), .. Element(0x0002, 0x0010, "UI", System.Text.Encoding.ASCII.GetBytes(ts.Length % 2 == 1 ? ts + "\0" : ts)),
                .. Element(0x0028, 0x0010, "US", [8, 0]), .. Element(0x0028, 0x0011, "US", [8, 0]), .. Element(0x0028, 0x0100, "US", [8, 0]),
                .. LongHeader(0x7FE0, 0x0010, "OB", 0xFFFFFFFF), .. Item(0), .. Item((uint)frame.Length), .. frame, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0];
            var e = ReadFails(bytes, ts + ".dcm");
            Assert.Equal(ImageReadError.CorruptHeader, e.Error);
        }
    }

    [Fact]
    public void BitsStoredSmallerThanAllocatedIsMaskedAndSignExtended()
    {
        // 12 bits stored in 16, signed: junk in the top 4 bits must be ignored.
        var words = new ushort[] { 0xF800, 0x07FF, 0xAFFF, 0x0001 };
        var bytes = new byte[8];
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), words[i]);
        }

        var w = new DicomTestWriter()
            .UShort(0x0028, 0x0002, 1).Text(0x0028, 0x0004, "CS", "MONOCHROME2")
            .UShort(0x0028, 0x0010, 2).UShort(0x0028, 0x0011, 2).UShort(0x0028, 0x0100, 16).UShort(0x0028, 0x0101, 12)
            .UShort(0x0028, 0x0102, 11).UShort(0x0028, 0x0103, 1)
            .Bytes(0x7FE0, 0x0010, "OW", bytes);
        var path = Path.Combine(_dir, "bits12.dcm");
        w.Save(path);
        var image = new DicomImageReader().Read(path).Single();
        Assert.Equal([-2048f, 2047f, -1f, 1f], image.GetVoxels());
    }

    [Fact]
    public void Monochrome1IsInvertedAndColourBecomesLuminance()
    {
        var mono1 = Path.Combine(_dir, "mono1.dcm");
        new DicomTestWriter()
            .UShort(0x0028, 0x0002, 1).Text(0x0028, 0x0004, "CS", "MONOCHROME1")
            .UShort(0x0028, 0x0010, 1).UShort(0x0028, 0x0011, 2).UShort(0x0028, 0x0100, 8).UShort(0x0028, 0x0101, 8).UShort(0x0028, 0x0102, 7)
            .Bytes(0x7FE0, 0x0010, "OB", [0, 200])
            .Save(mono1);
        var image = new DicomImageReader().Read(mono1).Single();
        Assert.Equal([255f, 55f], image.GetVoxels());
        Assert.Equal("True", image.Metadata["MonochromeInverted"]);

        var rgb = Path.Combine(_dir, "rgb.dcm");
        new DicomTestWriter()
            .UShort(0x0028, 0x0002, 3).Text(0x0028, 0x0004, "CS", "RGB").UShort(0x0028, 0x0006, 1)
            .UShort(0x0028, 0x0010, 1).UShort(0x0028, 0x0011, 2).UShort(0x0028, 0x0100, 8).UShort(0x0028, 0x0101, 8).UShort(0x0028, 0x0102, 7)
            .Bytes(0x7FE0, 0x0010, "OB", [255, 0, 0, 0, 0, 255]) // planar: R plane, G plane, B plane
            .Save(rgb);
        var colour = new DicomImageReader().Read(rgb).Single();
        Assert.Equal(0.299f * 255, colour[0, 0], 3);
        Assert.Equal(0.114f * 255, colour[1, 0], 3);
    }

    [Fact]
    public void RawPixelFilesWithSmallValuesAreNotClaimed()
    {
        // int16 raw data whose first values read as (0008,0005) with length 10, then (0009,0000) with a length of 131072.
        short[] values = [8, 5, 10, 0, 3, 4, 3, 4, 3, 9, 0, 0, 2, 5, 6, 5, 6, 5];
        var raw = new byte[1024];
        for (var i = 0; i < raw.Length / 2; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(raw.AsSpan(i * 2), i < values.Length ? values[i] : (short)(i % 9));
        }

        Assert.False(new DicomImageReader().CanRead("volume.raw", raw));
    }

    [Fact]
    public void HeaderlessImplicitFileIsRecognisedAndRead()
    {
        var px = new short[] { -5, 7, 300, -1000 };
        var w = new DicomTestWriter().Text(0x0008, 0x0060, "CS", "MR").Pixels16(2, 2, px);
        var path = Path.Combine(_dir, "noheader");
        w.Save(path, explicitVr: false, withMeta: false);
        var head = File.ReadAllBytes(path);
        Assert.True(new DicomImageReader().CanRead(path, head.AsSpan(0, Math.Min(1024, head.Length))));
        var image = new DicomImageReader().Read(path).Single();
        Assert.Equal([-5f, 7f, 300f, -1000f], image.GetVoxels());
        Assert.Equal("1.2.840.10008.1.2", image.Metadata["TransferSyntaxUID"]);
    }

    /// <summary>
    /// Mutation fuzzing of real files (bit flips, byte insertions/deletions, length-field corruption, truncation),
    /// deterministic seed, parsing and decoding straight from memory without the reader's exception guard:
    /// each mutant must read or throw <see cref="ImageReadException"/>, and allocate within a bound.
    /// </summary>
    [SkippableFact]
    public void MutatedRealFilesReadOrFailCleanly()
    {
        var sources = new (string File, int Mutations)[]
        {
            ("dicom/pydicom/MR_small.dcm", 600),
            ("dicom/pydicom/MR_small_RLE.dcm", 600),
            ("dicom/pydicom/MR_small_bigendian.dcm", 300),
            ("dicom/pydicom/MR_small_implicit.dcm", 300),
            ("dicom/pydicom/image_dfl.dcm", 150),
            ("dicom/pydicom/nested_priv_SQ.dcm", 300),
            ("dicom/pydicom/rtplan.dcm", 200),
            ("dicom/pydicom-data/OT-PAL-8-face.dcm", 100),
            ("dicom/pydicom-data/emri_small_RLE.dcm", 150),
            ("dicom/pydicom-data/JPGLosslessP14SV1_1s_1f_8b.dcm", 100),
            ("dicom/pydicom-data/JPEG-LL.dcm", 100),
        };
        var rng = new Random(20261127);
        var stopwatch = Stopwatch.StartNew();
        int ok = 0, failed = 0;
        foreach (var (relative, count) in sources)
        {
            var original = File.ReadAllBytes(TestData.Require(relative));
            var bound = (32L << 20) + (200L * original.Length);
            for (var m = 0; m < count; m++)
            {
                var mutant = Mutate(original, rng);
                var before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    var image = DicomImageReader.ReadSingle(DicomFile.Parse("mutant.dcm", mutant));
                    Assert.True(image.VoxelCount > 0);
                    ok++;
                }
                catch (ImageReadException)
                {
                    failed++;
                }
                catch (Exception e)
                {
                    var keep = Path.Combine(_dir, $"crash-{Path.GetFileNameWithoutExtension(relative)}-{m}.dcm");
                    File.WriteAllBytes(keep, mutant);
                    Assert.Fail($"mutation {m} of {relative} threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                }

                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated <= bound, $"mutation {m} of {relative} allocated {allocated} bytes (bound {bound})");
            }
        }

        output.WriteLine($"{ok} mutants read, {failed} refused with ImageReadException, {stopwatch.ElapsedMilliseconds} ms");
        Assert.True(ok > 0 && failed > 0);
    }

    /// <summary>The series path: header-only open from disk, then pixel reads from the file; mutants of real files, unguarded.</summary>
    [SkippableFact]
    public void MutatedFilesOnTheSeriesPathReadOrFailCleanly()
    {
        var sources = new[] { "dicom/pydicom/CT_small.dcm", "dicom/pydicom/MR_small_RLE.dcm", "dicom/pydicom/image_dfl.dcm", "dicom/pydicom/MR_small_expb.dcm" };
        var rng = new Random(424242);
        var path = Path.Combine(_dir, "mutant.dcm");
        int ok = 0, failed = 0;
        foreach (var relative in sources)
        {
            var original = File.ReadAllBytes(TestData.Require(relative));
            for (var m = 0; m < 250; m++)
            {
                var mutant = Mutate(original, rng);
                File.WriteAllBytes(path, mutant);
                try
                {
                    var slice = DicomSlice.Open(path);
                    var pixels = new DicomPixelData(slice.File);
                    var dest = new float[pixels.Rows * pixels.Columns];
                    byte[]? scratch = null;
                    pixels.DecodeFrame(0, dest, ref scratch);
                    ok++;
                }
                catch (ImageReadException)
                {
                    failed++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutation {m} of {relative} threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                }
            }
        }

        output.WriteLine($"{ok} mutants read, {failed} refused");
        Assert.True(ok > 0 && failed > 0);
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var b = new List<byte>(original);
        var edits = 1 + rng.Next(4);
        for (var e = 0; e < edits && b.Count > 8; e++)
        {
            var at = rng.Next(b.Count);
            switch (rng.Next(6))
            {
                case 0:
                    b[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    b.Insert(at, (byte)rng.Next(256));
                    break;
                case 2:
                    b.RemoveAt(at);
                    break;
                case 3:
                    // Corrupt what may be a length field: 2 or 4 bytes set to a large, small or undefined value.
                    var value = rng.Next(4) switch { 0 => 0xFFFFFFFFu, 1 => 0xFFFFFFF0u, 2 => (uint)rng.Next(0, 64), _ => (uint)rng.Next() };
                    for (var i = 0; i < 4 && at + i < b.Count; i++)
                    {
                        b[at + i] = (byte)(value >> (8 * i));
                    }

                    break;
                case 4:
                    b.RemoveRange(at, b.Count - at);
                    break;
                default:
                    b[at] = (byte)rng.Next(256);
                    break;
            }
        }

        return [.. b];
    }
}
