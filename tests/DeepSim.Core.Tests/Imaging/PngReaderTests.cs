using System.Buffers.Binary;
using System.Text.Json;
using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using Xunit;

namespace DeepSim.Tests.Imaging;

public class PngReaderTests
{
    /// <summary>Decodes PNG files with PIL; prints, per file, the mode, size, dpi and the raw sample array (palette indices for P).</summary>
    private const string PilDecode = """
        import sys, json
        import numpy as np
        from PIL import Image
        out = []
        for f in sys.argv[1:]:
            im = Image.open(f)
            im.load()
            a = np.array(im).astype(np.int64)
            out.append({"mode": im.mode, "size": list(im.size), "dpi": list(im.info.get("dpi", (0, 0))),
                        "values": a.ravel().tolist()})
        print(json.dumps(out))
        """;

    /// <summary>Writes PNGs with PIL (16-bit grey, colour palette, RGB) and prints the expected grey value of each pixel.</summary>
    private const string PilWrite = """
        import sys, json
        import numpy as np
        from PIL import Image
        folder = sys.argv[1]
        rng = np.random.default_rng(7)
        g16 = rng.integers(0, 65535, (19, 23), endpoint=True).astype(np.uint16)
        g16[0, :4] = [0, 1, 65535, 256]
        Image.fromarray(g16).save(folder + '/g16.png')
        idx = rng.integers(0, 6, (17, 21)).astype(np.uint8)
        pal = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 200, 200, 200, 0, 0, 0]
        p = Image.fromarray(idx, mode='P')
        p.putpalette(pal)
        p.save(folder + '/pal.png')
        rgb = rng.integers(0, 255, (9, 11, 3), endpoint=True).astype(np.uint8)
        Image.fromarray(rgb, mode='RGB').save(folder + '/rgb.png')
        def lum(r, g, b):
            r, g, b = (np.asarray(v, dtype=np.float64) for v in (r, g, b))
            return np.where((r == g) & (g == b), r, 0.299 * r + 0.587 * g + 0.114 * b)
        P = np.array(pal, dtype=np.float64).reshape(-1, 3)
        print(json.dumps({
            "g16": g16.astype(np.float64).ravel().tolist(),
            "pal": lum(P[idx, 0], P[idx, 1], P[idx, 2]).ravel().tolist(),
            "rgb": lum(rgb[..., 0], rgb[..., 1], rgb[..., 2]).ravel().tolist(),
        }))
        """;

    private static readonly string[] Pil = ["numpy", "PIL"];

    public static TheoryData<int, int, bool> Encodings()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (var (colorType, depths) in new[] { (0, new[] { 1, 2, 4, 8, 16 }), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16]) })
        {
            foreach (var depth in depths)
            {
                data.Add(colorType, depth, false);
                data.Add(colorType, depth, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void EveryColourTypeBitDepthAndInterlaceDecodesExactly(int colorType, int bitDepth, bool interlaced)
    {
        using var temp = new TempFolder();
        var encoder = RandomImage(13, 11, colorType, bitDepth, interlaced, seed: (colorType * 100) + bitDepth);
        var path = temp.File("e.png");
        File.WriteAllBytes(path, encoder.Encode());
        var image = Assert.Single(new PngReader().Read(path));
        Assert.Equal([13, 11, 1], image.Size);
        Assert.Equal(Expected(encoder), image.GetVoxels());
        Assert.Equal(bitDepth.ToString(System.Globalization.CultureInfo.InvariantCulture), image.Metadata["PNG.BitDepth"]);
        Assert.Equal(interlaced ? "Adam7" : "none", image.Metadata["PNG.Interlace"]);
        Assert.Equal(ImageGeometry.Identity, image.Geometry);
        Assert.Null(image.Modality);
    }

    /// <summary>
    /// PIL decodes every file the test encoder makes for the theory above: this checks the encoder (its packing,
    /// filters, Adam7 layout and CRCs) independently of DeepSim's decoder, so the theory compares against real PNGs.
    /// </summary>
    [SkippableFact]
    public void TestEncoderOutputDecodesIdenticallyInPil()
    {
        using var temp = new TempFolder();
        var cases = new List<(int ColorType, int BitDepth, TestPngEncoder Encoder, string Path)>();
        foreach (var row in Encodings())
        {
            var (colorType, bitDepth, interlaced) = ((int)row[0], (int)row[1], (bool)row[2]);
            var encoder = RandomImage(13, 11, colorType, bitDepth, interlaced, seed: (colorType * 100) + bitDepth);
            var path = temp.File($"e{colorType}-{bitDepth}-{interlaced}.png");
            File.WriteAllBytes(path, encoder.Encode());
            cases.Add((colorType, bitDepth, encoder, path));
        }

        var results = JsonDocument.Parse(PythonOracle.RunWith(Pil, PilDecode, [.. cases.Select(c => c.Path)])).RootElement;
        Assert.Equal(cases.Count, results.GetArrayLength());
        for (var n = 0; n < cases.Count; n++)
        {
            var (colorType, bitDepth, encoder, path) = cases[n];
            var pil = results[n];
            var values = pil.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            var mode = pil.GetProperty("mode").GetString();
            long[] expected;
            if (colorType == 3 || bitDepth == 8 || (colorType == 0 && bitDepth == 16))
            {
                expected = [.. encoder.Samples.Select(s => (long)s)];
            }
            else if (colorType == 0)
            {
                // PIL widens 2/4-bit grey to 0..255; 1-bit is mode '1' (0/1 in numpy).
                var scale = mode == "1" ? 1 : 255 / ((1 << bitDepth) - 1);
                expected = [.. encoder.Samples.Select(s => (long)(s * scale))];
            }
            else
            {
                // PIL reduces 16-bit colour to 8 bits (and 16-bit grey+alpha to RGBA): compare the high bytes.
                expected = [.. encoder.Samples.Select(s => (long)(s >> 8))];
                if (colorType == 4)
                {
                    Assert.Equal("RGBA", mode);
                    expected = [.. expected.Chunk(2).SelectMany(la => new[] { la[0], la[0], la[0], la[1] })];
                }
            }

            Assert.True(expected.SequenceEqual(values), $"PIL disagrees with the test encoder for {Path.GetFileName(path)} (mode {mode}).");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 5)]
    [InlineData(3, 5)]
    [InlineData(8, 8)]
    [InlineData(9, 9)]
    [InlineData(33, 17)]
    public void InterlacedSmallSizesWithEmptyPasses(int width, int height)
    {
        using var temp = new TempFolder();
        var encoder = RandomImage(width, height, 0, 16, interlaced: true, seed: width * height);
        var path = temp.File("i.png");
        File.WriteAllBytes(path, encoder.Encode());
        Assert.Equal(Expected(encoder), Assert.Single(new PngReader().Read(path)).GetVoxels());
    }

    [SkippableFact]
    public void PilWrittenFilesDecodeExactly()
    {
        using var temp = new TempFolder();
        var expected = JsonDocument.Parse(PythonOracle.RunWith(Pil, PilWrite, temp.Path)).RootElement;
        foreach (var name in new[] { "g16", "pal", "rgb" })
        {
            var image = Assert.Single(new PngReader().Read(temp.File(name + ".png")));
            var reference = expected.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Assert.Equal(reference, image.GetVoxels());
        }

        var g16 = Assert.Single(new PngReader().Read(temp.File("g16.png")));
        Assert.Equal("16", g16.Metadata["PNG.BitDepth"]);
        Assert.Equal("grey", g16.Metadata["PNG.ColorType"]);
        Assert.Equal(65535f, g16[2, 0]);
        Assert.Equal(256f, g16[3, 0]);
        Assert.Equal("palette", Assert.Single(new PngReader().Read(temp.File("pal.png"))).Metadata["PNG.ColorType"]);
    }

    [SkippableTheory]
    [InlineData("BrainT1Slice.png")]
    [InlineData("BrainProtonDensitySlice.png")]
    [InlineData("BrainProtonDensitySliceBorder20.png")]
    [InlineData("BrainT1SliceBorder20.png")]
    public void RealSlicesMatchPil(string name)
    {
        var path = TestData.Require("mr-t1-pd-slice/" + name);
        var image = Assert.Single(new PngReader().Read(path));
        var pil = JsonDocument.Parse(PythonOracle.RunWith(Pil, PilDecode.Replace("a = np.array(im)", "a = np.array(im.convert('RGB'))[..., 0] if im.mode == 'P' else np.array(im)[..., 0] if im.mode == 'RGB' else np.array(im)", StringComparison.Ordinal), path)).RootElement[0];

        // These grey slices store R = G = B, so the luminance is the red sample exactly.
        var values = pil.GetProperty("values").EnumerateArray().Select(v => (float)v.GetInt64()).ToArray();
        Assert.Equal(values, image.GetVoxels());
        // Print resolution (pHYs) is metadata, never voxel spacing: aligned slices with different dpi stay one grid.
        Assert.Equal([1.0, 1.0, 1.0], image.Spacing);
    }

    [Fact]
    public void PhysChunkIsRecordedButDoesNotChangeSpacing()
    {
        using var temp = new TempFolder();
        var encoder = RandomImage(4, 3, 0, 8, false, 1);
        var path = temp.File("p.png");
        File.WriteAllBytes(path, new TestPngEncoder
        {
            Width = 4, Height = 3, BitDepth = 8, ColorType = 0, Samples = encoder.Samples, PixelsPerMetre = (2000, 4000),
        }.Encode());
        var image = Assert.Single(new PngReader().Read(path));
        Assert.Equal([1.0, 1.0, 1.0], image.Spacing);
        Assert.Equal("2000,4000", image.Metadata["PNG.PixelsPerMetre"]);
    }

    [Fact]
    public void CrcMismatchIsCorruptHeaderWithTheChunkOffset()
    {
        using var temp = new TempFolder();
        var bytes = RandomImage(8, 8, 0, 8, false, 3).Encode();
        var idat = IndexOfChunk(bytes, "IDAT");
        bytes[idat + 9] ^= 0x40;
        var path = temp.File("crc.png");
        File.WriteAllBytes(path, bytes);
        var e = ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.CorruptHeader);
        Assert.Equal(idat, e.Offset);
        Assert.Contains("CRC", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileCutInHalfIsTruncated()
    {
        using var temp = new TempFolder();
        var bytes = RandomImage(20, 20, 2, 8, false, 4).Encode();
        var path = temp.File("half.png");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.Truncated);
    }

    [Fact]
    public void MissingIendIsTruncated()
    {
        using var temp = new TempFolder();
        var bytes = RandomImage(5, 5, 0, 8, false, 4).Encode();
        var path = temp.File("noend.png");
        File.WriteAllBytes(path, bytes[..^12]);
        ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.Truncated);
    }

    [Fact]
    public void EmptyAndSignatureOnlyFilesAreTruncated()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("empty.png"), []);
        File.WriteAllBytes(temp.File("sig.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        ImagingAssert.ReadFails(new PngReader(), temp.File("empty.png"), ImageReadError.Truncated);
        ImagingAssert.ReadFails(new PngReader(), temp.File("sig.png"), ImageReadError.Truncated);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TooLittleImageDataIsDataSizeMismatch(bool interlaced)
    {
        using var temp = new TempFolder();
        var encoder = RandomImage(16, 16, 0, 16, interlaced, 5);
        var path = temp.File("short.png");
        File.WriteAllBytes(path, new TestPngEncoder
        {
            Width = 16, Height = 16, BitDepth = 16, ColorType = 0, Samples = encoder.Samples, Interlaced = interlaced, DropFilteredBytes = 40,
        }.Encode());
        ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.DataSizeMismatch);
    }

    [Theory]
    [InlineData(0, 10, ImageReadError.AbsurdDimensions)]
    [InlineData(10, 0, ImageReadError.AbsurdDimensions)]
    [InlineData(65536, 65536, ImageReadError.AbsurdDimensions)]
    [InlineData(-1, 10, ImageReadError.AbsurdDimensions)]
    [InlineData(30000, 30000, ImageReadError.DataSizeMismatch)]
    public void DeclaredSizesThatCannotBeRealFailBeforeAllocating(int width, int height, ImageReadError expected)
    {
        using var temp = new TempFolder();
        var bytes = RandomImage(4, 4, 0, 8, false, 6).Encode();
        var ihdr = IndexOfChunk(bytes, "IHDR");
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(ihdr + 8), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(ihdr + 12), height);
        FixCrc(bytes, ihdr);
        var path = temp.File("dims.png");
        File.WriteAllBytes(path, bytes);
        var before = GC.GetAllocatedBytesForCurrentThread();
        ImagingAssert.ReadFails(new PngReader(), path, expected);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
    }

    [Fact]
    public void UnknownFilterTypeIsCorruptHeader()
    {
        using var temp = new TempFolder();
        var encoder = RandomImage(6, 6, 0, 8, false, 7);
        var path = temp.File("filter.png");
        File.WriteAllBytes(path, new TestPngEncoder
        {
            Width = 6, Height = 6, BitDepth = 8, ColorType = 0, Samples = encoder.Samples, Filter = (_, row) => row == 3 ? (byte)9 : (byte)0,
        }.Encode());
        var e = ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.CorruptHeader);
        Assert.Contains("filter type 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCriticalChunkIsUnsupportedButAncillaryIsSkipped()
    {
        using var temp = new TempFolder();
        var samples = RandomImage(3, 3, 0, 8, false, 8).Samples;
        File.WriteAllBytes(temp.File("crit.png"), new TestPngEncoder { Width = 3, Height = 3, BitDepth = 8, ColorType = 0, Samples = samples, ExtraChunk = ("ABCD", [1, 2]) }.Encode());
        File.WriteAllBytes(temp.File("anc.png"), new TestPngEncoder { Width = 3, Height = 3, BitDepth = 8, ColorType = 0, Samples = samples, ExtraChunk = ("tEXt", [65, 0, 66]) }.Encode());
        ImagingAssert.ReadFails(new PngReader(), temp.File("crit.png"), ImageReadError.UnsupportedEncoding);
        Assert.Equal(samples.Select(s => (float)s), Assert.Single(new PngReader().Read(temp.File("anc.png"))).GetVoxels());
    }

    [Fact]
    public void BadSignatureIsUnknownFormat()
    {
        using var temp = new TempFolder();
        var bytes = RandomImage(3, 3, 0, 8, false, 9).Encode();
        bytes[1] = (byte)'X';
        var path = temp.File("sig.png");
        File.WriteAllBytes(path, bytes);
        ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.UnknownFormat);
    }

    [Theory]
    [InlineData(2, 4)]
    [InlineData(3, 16)]
    [InlineData(0, 3)]
    [InlineData(5, 8)]
    public void InvalidColourTypeAndDepthIsCorruptHeader(int colorType, int depth)
    {
        using var temp = new TempFolder();
        var path = temp.File("ct.png");
        File.WriteAllBytes(path, new TestPngEncoder { Width = 2, Height = 2, BitDepth = depth, ColorType = colorType, Samples = new int[16], Palette = [0, 0, 0] }.Encode());
        ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.CorruptHeader);
    }

    [Fact]
    public void UnknownInterlaceMethodIsUnsupported()
    {
        using var temp = new TempFolder();
        var path = temp.File("il.png");
        File.WriteAllBytes(path, new TestPngEncoder { Width = 2, Height = 2, BitDepth = 8, ColorType = 0, Samples = new int[4], InterlaceOverride = 2 }.Encode());
        ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.UnsupportedEncoding);
    }

    [Fact]
    public void PaletteProblemsAreCorruptHeader()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("nopal.png"), new TestPngEncoder { Width = 2, Height = 2, BitDepth = 8, ColorType = 3, Samples = [0, 1, 0, 1] }.Encode());
        File.WriteAllBytes(temp.File("index.png"), new TestPngEncoder { Width = 2, Height = 2, BitDepth = 8, ColorType = 3, Samples = [0, 1, 0, 3], Palette = [1, 2, 3, 4, 5, 6] }.Encode());
        File.WriteAllBytes(temp.File("badpal.png"), new TestPngEncoder { Width = 2, Height = 2, BitDepth = 8, ColorType = 3, Samples = [0, 0, 0, 0], Palette = [1, 2, 3, 4] }.Encode());
        ImagingAssert.ReadFails(new PngReader(), temp.File("nopal.png"), ImageReadError.CorruptHeader);
        var e = ImagingAssert.ReadFails(new PngReader(), temp.File("index.png"), ImageReadError.CorruptHeader);
        Assert.Contains("palette index 3", e.Message, StringComparison.Ordinal);
        ImagingAssert.ReadFails(new PngReader(), temp.File("badpal.png"), ImageReadError.CorruptHeader);
    }

    [Fact]
    public void GarbageCompressedDataIsCorruptHeader()
    {
        using var temp = new TempFolder();
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, 4);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), 4);
        ihdr[8] = 8;
        TestPngEncoder.WriteChunk(ms, "IHDR", ihdr);
        TestPngEncoder.WriteChunk(ms, "IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        TestPngEncoder.WriteChunk(ms, "IEND", []);
        var path = temp.File("z.png");
        File.WriteAllBytes(path, ms.ToArray());
        ImagingAssert.ReadFails(new PngReader(), path, ImageReadError.CorruptHeader);
    }

    [Fact]
    public void CancelledTokenStopsTheRead()
    {
        using var temp = new TempFolder();
        var path = temp.File("c.png");
        File.WriteAllBytes(path, RandomImage(4, 4, 0, 8, false, 1).Encode());
        Assert.ThrowsAny<OperationCanceledException>(() => new PngReader().Read(path, new CancellationToken(canceled: true)));
    }

    internal static TestPngEncoder RandomImage(int width, int height, int colorType, int bitDepth, bool interlaced, int seed)
    {
        var rng = new Random(seed);
        var channels = colorType switch
        {
            2 => 3,
            4 => 2,
            6 => 4,
            _ => 1,
        };
        byte[]? palette = null;
        var max = (1 << bitDepth) - 1;
        if (colorType == 3)
        {
            var entries = Math.Min(max + 1, 200);
            palette = new byte[entries * 3];
            rng.NextBytes(palette);
            palette[0] = palette[1] = palette[2] = 77;
            max = entries - 1;
        }

        var samples = new int[width * height * channels];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = rng.Next(max + 1);
        }

        if (samples.Length > 0)
        {
            samples[0] = max;
        }

        if (colorType is 2 or 6 && width * height > 1)
        {
            // One pixel with R = G = B: its value must be that sample exactly.
            samples[channels] = samples[channels + 1] = samples[channels + 2] = max / 3;
        }

        return new TestPngEncoder { Width = width, Height = height, BitDepth = bitDepth, ColorType = colorType, Samples = samples, Palette = palette, Interlaced = interlaced };
    }

    internal static float[] Expected(TestPngEncoder e)
    {
        static float Lum(int r, int g, int b) => r == g && g == b ? r : (float)((0.299 * r) + (0.587 * g) + (0.114 * b));
        var n = e.Width * e.Height;
        var result = new float[n];
        for (var i = 0; i < n; i++)
        {
            var k = i * e.Channels;
            result[i] = e.ColorType switch
            {
                0 or 4 => e.Samples[k],
                3 => Lum(e.Palette![3 * e.Samples[k]], e.Palette[(3 * e.Samples[k]) + 1], e.Palette[(3 * e.Samples[k]) + 2]),
                _ => Lum(e.Samples[k], e.Samples[k + 1], e.Samples[k + 2]),
            };
        }

        return result;
    }

    private static int IndexOfChunk(byte[] bytes, string type)
    {
        var pos = 8;
        while (pos < bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos));
            if (System.Text.Encoding.ASCII.GetString(bytes, pos + 4, 4) == type)
            {
                return pos;
            }

            pos += 12 + length;
        }

        throw new InvalidOperationException("chunk not found: " + type);
    }

    private static void FixCrc(byte[] bytes, int chunk)
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(chunk));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(chunk + 8 + length), Crc32.Compute(bytes.AsSpan(chunk + 4, length + 4)));
    }
}
