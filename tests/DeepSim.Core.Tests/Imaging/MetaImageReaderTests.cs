using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using Xunit;

namespace DeepSim.Tests.Imaging;

public class MetaImageReaderTests
{
    private const string Slices = "mr-t1-pd-slice";

    [SkippableTheory]
    [InlineData("BrainProtonDensitySliceBorder20")]
    [InlineData("BrainProtonDensitySliceShifted13x17y")]
    public void MetaImageAndPngOfTheSameSliceHaveIdenticalVoxels(string name)
    {
        var mhd = Assert.Single(new MetaImageReader().Read(TestData.Require($"{Slices}/{name}.mhd")));
        var png = Assert.Single(new PngReader().Read(TestData.Require($"{Slices}/{name}.png")));
        Assert.Equal([221, 257, 1], mhd.Size);
        Assert.Equal(png.Size, mhd.Size);
        Assert.True(png.VoxelSpan.SequenceEqual(mhd.VoxelSpan));
        Assert.Equal([1.0, 1.0, 1.0], mhd.Spacing);
        Assert.Equal([0.0, 0.0, 0.0], mhd.Origin);
        Assert.Equal([1.0, 0, 0, 0, 1, 0, 0, 0, 1], mhd.Direction);
        Assert.Equal("MET_UCHAR", mhd.Metadata["MetaImage.ElementType"]);
        Assert.Equal("??", mhd.Metadata["MetaImage.AnatomicalOrientation"]);

        // The raw file is the oracle: one unsigned byte per voxel, x fastest.
        var raw = File.ReadAllBytes(TestData.Require($"{Slices}/{name}.raw"));
        Assert.Equal(raw.Select(b => (float)b).ToArray(), mhd.GetVoxels());
    }

    [SkippableFact]
    public void DirectionPlus30HeaderGivesAPlus30DegreeRotation()
    {
        var path = TestData.Require($"{Slices}/BrainT1SliceBorder20DirectionPlus30.mhd");
        var (size, geometry, modality) = MetaImageReader.ReadHeader(path);
        Assert.Equal([221, 257, 1], size);
        Assert.Null(modality);

        // TransformMatrix = 0.8660254 0.5 -0.5 0.8660254 lists axis 0 = (cos 30, sin 30), axis 1 = (-sin 30, cos 30):
        // the columns of the direction matrix, a rotation by +30 degrees.
        var c = 0.8660254;
        double[] expected = [c, -0.5, 0, 0.5, c, 0, 0, 0, 1];
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(expected[i], geometry.Direction[i], 7);
        }

        var p = geometry.IndexToPhysical(10, 0, 0);
        Assert.Equal(10 * c, p[0], 6);
        Assert.Equal(10 * 0.5, p[1], 6);
    }

    [SkippableFact]
    public void DirectionPlus30WithItsMissingZrawIsFileNotFoundNamingTheDataFile()
    {
        // The shared copy holds the uncompressed .raw, but the header names a .zraw that is not there.
        var path = TestData.Require($"{Slices}/BrainT1SliceBorder20DirectionPlus30.mhd");
        var e = ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.FileNotFound);
        Assert.Contains("BrainT1SliceBorder20DirectionPlus30.zraw", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void DirectionPlus30VoxelsEqualThePngWhenPointedAtTheRaw()
    {
        var header = TestData.Require($"{Slices}/BrainT1SliceBorder20DirectionPlus30.mhd");
        var raw = TestData.Require($"{Slices}/BrainT1SliceBorder20DirectionPlus30.raw");
        using var temp = new TempFolder();
        var copy = temp.File("plus30.mhd");
        var text = File.ReadAllLines(header)
            .Where(l => !l.StartsWith("CompressedDataSize", StringComparison.Ordinal))
            .Select(l => l.StartsWith("CompressedData", StringComparison.Ordinal) ? "CompressedData = False" : l)
            .Select(l => l.StartsWith("ElementDataFile", StringComparison.Ordinal) ? "ElementDataFile = " + raw : l);
        File.WriteAllLines(copy, text);
        var mhd = Assert.Single(new MetaImageReader().Read(copy));
        var png = Assert.Single(new PngReader().Read(TestData.Require($"{Slices}/BrainT1SliceBorder20.png")));
        Assert.True(png.VoxelSpan.SequenceEqual(mhd.VoxelSpan));
        Assert.Equal(0.5, mhd.Direction[3], 7);
    }

    [SkippableFact]
    public void ThreeSliceMhaReadsAs3D()
    {
        var path = TestData.Require($"{Slices}/BrainProtonDensity3Slices.mha");
        var image = Assert.Single(new MetaImageReader().Read(path));
        Assert.Equal([181, 217, 3], image.Size);
        Assert.Equal(3, image.Dimension);
        var raw = File.ReadAllBytes(TestData.Require($"{Slices}/BrainProtonDensity3Slices.raw"));
        Assert.Equal(raw.Select(b => (float)b).ToArray(), image.GetVoxels());
        Assert.Equal(raw[1 + (181 * 217 * 2)], image[1, 0, 2]);
        Assert.Equal(raw[5 + (181 * (7 + (217 * 1)))], image[5, 7, 1]);
        Assert.Equal([1.0, 1.0, 1.0], image.Spacing);
    }

    [Theory]
    [InlineData("MET_UCHAR", false)]
    [InlineData("MET_CHAR", false)]
    [InlineData("MET_USHORT", true)]
    [InlineData("MET_SHORT", false)]
    [InlineData("MET_SHORT", true)]
    [InlineData("MET_UINT", false)]
    [InlineData("MET_INT", true)]
    [InlineData("MET_LONG", false)]
    [InlineData("MET_ULONG", true)]
    [InlineData("MET_LONG_LONG", true)]
    [InlineData("MET_ULONG_LONG", false)]
    [InlineData("MET_FLOAT", true)]
    [InlineData("MET_DOUBLE", false)]
    public void EveryElementTypeAndByteOrderDecodesExactly(string elementType, bool msb)
    {
        using var temp = new TempFolder();
        var values = SampleValues(elementType);
        var data = Encode(values, elementType, msb);
        var path = temp.File("t.mha");
        var header = $"ObjectType = Image\nNDims = 3\nDimSize = 3 2 2\nElementType = {elementType}\nBinaryDataByteOrderMSB = {(msb ? "True" : "False")}\nElementDataFile = LOCAL\n";
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(header), .. data]);
        var image = Assert.Single(new MetaImageReader().Read(path));
        Assert.Equal(values.Select(v => (float)v).ToArray(), image.GetVoxels());
    }

    [Fact]
    public void ZrawWithGeometryAndModality()
    {
        using var temp = new TempFolder();
        var values = Enumerable.Range(0, 4 * 3 * 2).Select(i => (double)((i * 37 % 50) - 20)).ToArray();
        var compressed = Zlib(Encode(values, "MET_SHORT", msb: true));
        File.WriteAllBytes(temp.File("v.zraw"), compressed);
        File.WriteAllText(temp.File("v.mhd"), $"""
            ObjectType = Image
            NDims = 3
            BinaryData = True
            ElementByteOrderMSB = True
            CompressedData = True
            CompressedDataSize = {compressed.Length}
            TransformMatrix = 0 1 0 -1 0 0 0 0 1
            Origin = 1.5 -2 3.25
            ElementSize = 0.5 0.75 2
            DimSize = 4 3 2
            Modality = MET_MOD_CT
            SeriesDescription = test volume
            ElementType = MET_SHORT
            ElementDataFile = v.zraw
            """.Replace("\r", "", StringComparison.Ordinal));
        var image = Assert.Single(new MetaImageReader().Read(temp.File("v.mhd")));
        Assert.Equal(values.Select(v => (float)v).ToArray(), image.GetVoxels());
        Assert.Equal("CT", image.Modality);
        Assert.Equal([0.5, 0.75, 2.0], image.Spacing);
        Assert.Equal([1.5, -2, 3.25], image.Origin);
        Assert.Equal([0.0, -1, 0, 1, 0, 0, 0, 0, 1], image.Direction);
        Assert.Equal("test volume", image.Metadata["MetaImage.SeriesDescription"]);
    }

    [Fact]
    public void ZrawWithoutCompressedDataSizeAndMrModality()
    {
        using var temp = new TempFolder();
        var values = Enumerable.Range(0, 10 * 7).Select(i => i * 0.25).ToArray();
        File.WriteAllBytes(temp.File("v.zraw"), Zlib(Encode(values, "MET_FLOAT", false)));
        File.WriteAllText(temp.File("v.mhd"), "NDims = 2\nDimSize = 10 7\nModality = MET_MOD_MR\nElementType = MET_FLOAT\nCompressedData = True\nElementDataFile = v.zraw\n");
        var image = Assert.Single(new MetaImageReader().Read(temp.File("v.mhd")));
        Assert.Equal(values.Select(v => (float)v).ToArray(), image.GetVoxels());
        Assert.Equal("MR", image.Modality);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(17)]
    public void HeaderSizeSkipsBytes(int headerSize)
    {
        using var temp = new TempFolder();
        var values = Enumerable.Range(0, 6).Select(i => (double)(i + 100)).ToArray();
        var prefix = new byte[headerSize < 0 ? 29 : headerSize];
        Array.Fill(prefix, (byte)0xEE);
        File.WriteAllBytes(temp.File("d.raw"), [.. prefix, .. Encode(values, "MET_UCHAR", false)]);
        File.WriteAllText(temp.File("d.mhd"), $"NDims = 2\nDimSize = 3 2\nHeaderSize = {headerSize}\nElementType = MET_UCHAR\nElementDataFile = d.raw\n");
        var image = Assert.Single(new MetaImageReader().Read(temp.File("d.mhd")));
        Assert.Equal(values.Select(v => (float)v).ToArray(), image.GetVoxels());
    }

    [Fact]
    public void HeaderSizeInALocalFileCountsFromTheStartOfTheFile()
    {
        using var temp = new TempFolder();
        var header = Encoding.ASCII.GetBytes("NDims = 2\nDimSize = 2 1\nHeaderSize = 100\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n");
        var bytes = new byte[102];
        header.CopyTo(bytes, 0);
        bytes[100] = 42;
        bytes[101] = 43;
        var path = temp.File("hs.mha");
        File.WriteAllBytes(path, bytes);
        Assert.Equal([42f, 43], Assert.Single(new MetaImageReader().Read(path)).GetVoxels());
    }

    [Fact]
    public void CrLfHeaderAndLocalData()
    {
        using var temp = new TempFolder();
        var path = temp.File("w.mha");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("NDims = 2\r\nDimSize = 2 2\r\nElementType = MET_UCHAR\r\nElementDataFile = LOCAL\r\n"), 10, 13, 10, 32]);
        Assert.Equal([10f, 13, 10, 32], Assert.Single(new MetaImageReader().Read(path)).GetVoxels());
    }

    [Fact]
    public void MissingRawIsFileNotFoundNamingIt()
    {
        using var temp = new TempFolder();
        var path = temp.File("m.mhd");
        File.WriteAllText(path, "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = gone.raw\n");
        var e = ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.FileNotFound);
        Assert.Contains("gone.raw", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad\0name.raw", ImageReadError.CorruptHeader)]
    [InlineData(".", ImageReadError.NotAFile)] // a directory: not "access denied" (issue 9, item 11)
    public void UnusableDataFileNamesFailCleanly(string dataFile, ImageReadError expected)
    {
        using var temp = new TempFolder();
        var path = temp.File("n.mhd");
        File.WriteAllText(path, $"NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = {dataFile}\n");
        ImagingAssert.ReadFails(new MetaImageReader(), path, expected);
    }

    [Fact]
    public void RawShorterThanDeclaredIsDataSizeMismatch()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("s.raw"), new byte[7]);
        var path = temp.File("s.mhd");
        File.WriteAllText(path, "NDims = 2\nDimSize = 2 2\nElementType = MET_SHORT\nElementDataFile = s.raw\n");
        ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.DataSizeMismatch);
    }

    [Fact]
    public void LocalDataShorterThanDeclaredIsDataSizeMismatch()
    {
        using var temp = new TempFolder();
        var path = temp.File("s.mha");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n"), 1, 2, 3]);
        ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.DataSizeMismatch);
    }

    [Fact]
    public void ZrawInflatingToTooLittleIsDataSizeMismatch()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("z.zraw"), Zlib(new byte[50]));
        var path = temp.File("z.mhd");
        File.WriteAllText(path, "NDims = 2\nDimSize = 10 10\nElementType = MET_UCHAR\nCompressedData = True\nElementDataFile = z.zraw\n");
        ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.DataSizeMismatch);
    }

    [Fact]
    public void HugeDeclaredZrawFailsBeforeAllocating()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("z.zraw"), Zlib(new byte[50]));
        var path = temp.File("z.mhd");
        File.WriteAllText(path, "NDims = 3\nDimSize = 1000 1000 1000\nElementType = MET_FLOAT\nCompressedData = True\nElementDataFile = z.zraw\n");
        var before = GC.GetAllocatedBytesForCurrentThread();
        ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.DataSizeMismatch);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
    }

    [Fact]
    public void CompressedDataSizeLargerThanTheFileIsDataSizeMismatch()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("z.zraw"), Zlib(new byte[4]));
        var path = temp.File("z.mhd");
        File.WriteAllText(path, "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nCompressedData = True\nCompressedDataSize = 5000\nElementDataFile = z.zraw\n");
        ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.DataSizeMismatch);
    }

    [Fact]
    public void GarbageZrawIsCorruptHeader()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("z.zraw"), [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var path = temp.File("z.mhd");
        File.WriteAllText(path, "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nCompressedData = True\nElementDataFile = z.zraw\n");
        ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.CorruptHeader);
    }

    [Theory]
    [InlineData("DimSize = 0 5", ImageReadError.AbsurdDimensions)]
    [InlineData("DimSize = -3 5", ImageReadError.AbsurdDimensions)]
    [InlineData("DimSize = 65536 65536", ImageReadError.AbsurdDimensions)]
    [InlineData("DimSize = 2147483648 1", ImageReadError.AbsurdDimensions)]
    [InlineData("DimSize = 2.5 5", ImageReadError.CorruptHeader)]
    [InlineData("DimSize = 5", ImageReadError.CorruptHeader)]
    [InlineData("DimSize = a b", ImageReadError.CorruptHeader)]
    public void BadDimSize(string line, ImageReadError expected)
    {
        using var temp = new TempFolder();
        var path = temp.File("d.mha");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes($"NDims = 2\n{line}\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n"), .. new byte[25]]);
        ImagingAssert.ReadFails(new MetaImageReader(), path, expected);
    }

    [Theory]
    [InlineData("NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementNumberOfChannels = 3\nElementDataFile = LOCAL\n", ImageReadError.UnsupportedEncoding)]
    [InlineData("NDims = 2\nDimSize = 2 2\nElementType = MET_FLOAT_MATRIX\nElementDataFile = LOCAL\n", ImageReadError.UnsupportedEncoding)]
    [InlineData("NDims = 2\nDimSize = 2 2\nElementType = banana\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 4\nDimSize = 2 2 2 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.UnsupportedEncoding)]
    [InlineData("NDims = two\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("DimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nDimSize = 2 2\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nthis line has no equals sign\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nDimSize = 2 2\nElementSpacing = 1 0\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nDimSize = 2 2\nTransformMatrix = 1 0 0\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nDimSize = 2 2\nTransformMatrix = 0 0 0 1\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nDimSize = 2 2\nHeaderSize = -5\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.CorruptHeader)]
    [InlineData("NDims = 2\nDimSize = 2 2\nBinaryData = False\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.UnsupportedEncoding)]
    [InlineData("NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = LIST\n", ImageReadError.UnsupportedEncoding)]
    [InlineData("ObjectType = Tube\nNDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n", ImageReadError.NotAnImage)]
    public void BadHeaders(string header, ImageReadError expected)
    {
        using var temp = new TempFolder();
        var path = temp.File("h.mha");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(header), .. new byte[4]]);
        ImagingAssert.ReadFails(new MetaImageReader(), path, expected);
    }

    [Fact]
    public void HeaderEndingBeforeElementDataFileIsTruncated()
    {
        using var temp = new TempFolder();
        var path = temp.File("t.mha");
        File.WriteAllText(path, "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\n");
        var e = ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.Truncated);
        Assert.Equal(new FileInfo(path).Length, e.Offset);
    }

    [Fact]
    public void BinaryGarbageNamedMhaIsCorruptHeader()
    {
        using var temp = new TempFolder();
        var path = temp.File("junk.mha");
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        bytes[0] = (byte)'X';
        bytes[1] = 0x0A;
        File.WriteAllBytes(path, bytes);
        ImagingAssert.ReadFails(new MetaImageReader(), path, ImageReadError.CorruptHeader);
    }

    [Fact]
    public void CancelledTokenStopsTheRead()
    {
        using var temp = new TempFolder();
        var path = temp.File("c.mha");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n"), 1, 2, 3, 4]);
        Assert.ThrowsAny<OperationCanceledException>(() => new MetaImageReader().Read(path, new CancellationToken(canceled: true)));
    }

    internal static byte[] Zlib(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(data);
        }

        return ms.ToArray();
    }

    private static double[] SampleValues(string elementType) => elementType switch
    {
        "MET_UCHAR" => [0, 1, 2, 127, 128, 255, 3, 4, 5, 6, 7, 200],
        "MET_CHAR" => [0, -1, -128, 127, 5, -6, 7, 8, 9, 10, 11, -12],
        "MET_USHORT" => [0, 1, 65535, 256, 258, 30000, 7, 8, 9, 10, 11, 12],
        "MET_SHORT" => [0, -1, -32768, 32767, 258, -300, 7, 8, 9, 10, 11, 12],
        "MET_UINT" or "MET_ULONG" or "MET_ULONG_LONG" => [0, 1, 16777216, 256, 65536, 3, 7, 8, 9, 10, 11, 12],
        "MET_FLOAT" or "MET_DOUBLE" => [0, -1.5, 3.25, 1e-3, 1e6, -7.75, 7, 8, 9, 10, 11, 0.1],
        _ => [0, -1, -16777216, 16777216, 65536, -3, 7, 8, 9, 10, 11, 12],
    };

    internal static byte[] Encode(double[] values, string elementType, bool msb)
    {
        var size = elementType switch
        {
            "MET_UCHAR" or "MET_CHAR" => 1,
            "MET_USHORT" or "MET_SHORT" => 2,
            "MET_LONG_LONG" or "MET_ULONG_LONG" or "MET_DOUBLE" => 8,
            _ => 4,
        };
        var bytes = new byte[values.Length * size];
        for (var i = 0; i < values.Length; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            var v = values[i];
            switch (elementType)
            {
                case "MET_UCHAR":
                    span[0] = (byte)v;
                    break;
                case "MET_CHAR":
                    span[0] = (byte)(sbyte)v;
                    break;
                case "MET_USHORT":
                case "MET_SHORT":
                    var s = (ushort)(short)(int)v;
                    if (elementType == "MET_USHORT")
                    {
                        s = (ushort)v;
                    }

                    if (msb)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(span, s);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(span, s);
                    }

                    break;
                case "MET_FLOAT":
                    if (msb)
                    {
                        BinaryPrimitives.WriteSingleBigEndian(span, (float)v);
                    }
                    else
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(span, (float)v);
                    }

                    break;
                case "MET_DOUBLE":
                    if (msb)
                    {
                        BinaryPrimitives.WriteDoubleBigEndian(span, v);
                    }
                    else
                    {
                        BinaryPrimitives.WriteDoubleLittleEndian(span, v);
                    }

                    break;
                case "MET_LONG_LONG":
                case "MET_ULONG_LONG":
                    if (msb)
                    {
                        BinaryPrimitives.WriteInt64BigEndian(span, (long)v);
                    }
                    else
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(span, (long)v);
                    }

                    break;
                default:
                    if (msb)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(span, (int)(long)v);
                    }
                    else
                    {
                        BinaryPrimitives.WriteInt32LittleEndian(span, (int)(long)v);
                    }

                    break;
            }
        }

        return bytes;
    }
}
