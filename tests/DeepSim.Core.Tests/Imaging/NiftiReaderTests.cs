using System.Globalization;
using System.Text.Json;
using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using Xunit;

namespace DeepSim.Tests.Imaging;

public class NiftiReaderTests
{
    /// <summary>Loads a NIfTI file with nibabel, dumps get_fdata() as float32 (x fastest) and prints shape, affine and statistics.</summary>
    private const string NibabelDump = """
        import json
        import numpy as np
        import nibabel as nib
        def dump(path, out):
            img = nib.load(path)
            d = np.asarray(img.get_fdata(dtype=np.float64))
            d.astype('<f4').ravel(order='F').tofile(out)
            return {
                "shape": list(img.shape),
                "affine": img.affine.tolist(),
                "sum": float(d.sum()), "min": float(d.min()), "max": float(d.max()),
                "slope": None if img.dataobj.slope is None else float(img.dataobj.slope),
                "inter": None if img.dataobj.inter is None else float(img.dataobj.inter),
                "descrip": img.header['descrip'].tobytes().decode('latin1').rstrip('\x00'),
            }
        """;

    /// <summary>
    /// Writes a NIfTI file with nibabel from seeded random data (argv = path dtype endian slope inter mode dims dump),
    /// then loads it back with nibabel and dumps it like <see cref="NibabelDump"/>.
    /// </summary>
    private const string NibabelWrite = NibabelDump + "\n" + """
        import sys
        import numpy as np
        import nibabel as nib
        path, dtype, endian, slope, inter, mode, dims = sys.argv[1:8]
        shape = tuple(int(v) for v in dims.split(','))
        rng = np.random.default_rng(20261127)
        dt = np.dtype(dtype)
        if dt.kind == 'f':
            data = rng.normal(0, 1000, shape).astype(dt)
        elif dt.kind == 'u':
            data = rng.integers(0, min(np.iinfo(dt).max, 60000), shape, endpoint=True).astype(dt)
        else:
            lim = min(np.iinfo(dt).max, 30000)
            data = rng.integers(-lim, lim, shape, endpoint=True).astype(dt)
        t = np.deg2rad(20.0)
        axis = np.array([1.0, 2.0, 3.0]) / np.sqrt(14.0)
        K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        R = np.eye(3) + np.sin(t) * K + (1 - np.cos(t)) * K @ K
        aff = np.eye(4)
        aff[:3, :3] = R @ np.diag([0.8, 1.2, 2.5])
        if mode.endswith('flip'):
            aff[:3, 2] = -aff[:3, 2]
        aff[:3, 3] = [10.5, -20.25, 30.0]
        pair = path.endswith('.img') or path.endswith('.hdr')
        cls = nib.Nifti1Pair if pair else nib.Nifti1Image
        hdr = cls.header_class(endianness=endian)
        hdr.set_data_dtype(dt)
        img = cls(data, None, hdr)
        if mode.startswith('sform'):
            img.set_sform(aff, code=2)
            img.set_qform(None, code=0)
        elif mode.startswith('qform'):
            img.set_qform(aff, code=1)
            img.set_sform(None, code=0)
        else:
            img.header.set_zooms((0.8, 1.2, 2.5)[:len(shape)])
            img.header['sform_code'] = 0
            img.header['qform_code'] = 0
        if float(slope) != 0:
            img.header.set_slope_inter(float(slope), float(inter))
        img.header['descrip'] = b'DeepSim test CT'
        nib.save(img, path)
        print(json.dumps(dump(path, sys.argv[8])))
        """;

    private const string NibabelDumpMain = NibabelDump + "\n" + """
        import sys
        print(json.dumps(dump(sys.argv[1], sys.argv[2])))
        """;

    private static readonly string[] Nibabel = ["numpy", "nibabel"];

    [SkippableTheory]
    [InlineData("avg152T1.nii")]
    [InlineData("avg152T1.nii.gz")]
    [InlineData("avg152T2.nii")]
    [InlineData("avg152PD.nii")]
    [InlineData("scct.nii")]
    public void MniTemplateMatchesNibabel(string name)
    {
        var path = TestData.Require(Path.Combine("mni-templates-3d", name));
        using var temp = new TempFolder();
        var image = Assert.Single(new NiftiReader().Read(path));
        var dump = temp.File("nibabel.f32");
        var reference = CompareWithNibabel(image, PythonOracle.RunWith(Nibabel, NibabelDumpMain, path, dump), dump);

        // The documented conversion for these templates: RAS diag(-2,2,2) + (90,-126,-72) is LPS diag(2,-2,2)... as spacing 2, direction diag(1,-1,1).
        Assert.Equal([91, 109, 91], image.Size);
        Assert.Equal([2.0, 2.0, 2.0], image.Spacing);
        Assert.Equal([-90.0, 126.0, -72.0], image.Origin);
        Assert.Equal([1.0, 0, 0, 0, -1, 0, 0, 0, 1], image.Direction);
        Assert.Equal("sform", image.Metadata["NIfTI.GeometrySource"]);
        Assert.Equal("true", image.Metadata["NIfTI.ScalingApplied"]);
        Assert.Equal(reference.GetProperty("descrip").GetString(), image.Metadata["NIfTI.descrip"]);
        Assert.Null(image.Modality);
        Assert.Equal("NIfTI", image.Format);
    }

    [SkippableFact]
    public void GzippedTemplateEqualsUncompressedVoxelForVoxel()
    {
        var plain = Assert.Single(new NiftiReader().Read(TestData.Require("mni-templates-3d/avg152T1.nii")));
        var gz = Assert.Single(new NiftiReader().Read(TestData.Require("mni-templates-3d/avg152T1.nii.gz")));
        Assert.True(plain.VoxelSpan.SequenceEqual(gz.VoxelSpan));
        Assert.Equal(plain.Geometry, gz.Geometry);
    }

    [SkippableTheory]
    [InlineData("u1", "<", "0", "0", "sform", "5,4,3", ".nii")]
    [InlineData("i1", "<", "2", "-3", "sform", "5,4,3", ".nii")]
    [InlineData("i2", ">", "0.5", "10", "sform", "5,4,3", ".nii")]
    [InlineData("i2", "<", "0.25", "-7", "qform", "6,5,4", ".nii")]
    [InlineData("u2", "<", "0", "0", "qform", "6,5,4", ".nii")]
    [InlineData(">i4", ">", "0", "0", "qform-flip", "6,5,4", ".nii")]
    [InlineData("u4", "<", "1.5", "0", "sform", "6,5,4", ".nii.gz")]
    [InlineData(">f4", ">", "0", "0", "sform-flip", "6,5,4", ".nii.gz")]
    [InlineData("f8", "<", "0", "0", "sform", "6,5,4", ".nii")]
    [InlineData("i8", "<", "0", "0", "sform", "6,5,4", ".nii")]
    [InlineData("u8", "<", "0", "0", "sform", "6,5,4", ".nii")]
    [InlineData("f4", "<", "0", "0", "sform", "6,5,4", ".hdr")]
    [InlineData(">i2", ">", "0", "0", "qform", "6,5,4", ".img")]
    [InlineData("f4", "<", "0", "0", "sform", "7,5", ".nii")]
    public void CraftedFileMatchesNibabel(string dtype, string endian, string slope, string inter, string mode, string dims, string extension)
    {
        using var temp = new TempFolder();
        var path = temp.File("crafted" + extension);
        var dump = temp.File("nibabel.f32");
        var json = PythonOracle.RunWith(Nibabel, NibabelWrite, path, dtype, endian, slope, inter, mode, dims, dump);
        var image = Assert.Single(new NiftiReader().Read(path));
        var reference = CompareWithNibabel(image, json, dump);
        Assert.Equal("NIfTI", ImageLoader.CreateDefault().SelectReader(path).FormatName);
        Assert.Equal(endian == ">" ? "big-endian" : "little-endian", image.Metadata["NIfTI.ByteOrder"]);
        Assert.Equal(mode[..5], image.Metadata["NIfTI.GeometrySource"]);
        var expectScaling = double.Parse(slope, CultureInfo.InvariantCulture) != 0;
        Assert.Equal(expectScaling ? "true" : "false", image.Metadata["NIfTI.ScalingApplied"]);
        if (expectScaling)
        {
            Assert.Equal(reference.GetProperty("slope").GetDouble(), double.Parse(image.Metadata["NIfTI.scl_slope"], CultureInfo.InvariantCulture));
            Assert.Equal(reference.GetProperty("inter").GetDouble(), double.Parse(image.Metadata["NIfTI.scl_inter"], CultureInfo.InvariantCulture));
        }

        Assert.Equal("CT", image.Modality);
    }

    [SkippableFact]
    public void WithoutSformOrQformGeometryComesFromPixdim()
    {
        using var temp = new TempFolder();
        var path = temp.File("pixdim.nii");
        PythonOracle.RunWith(Nibabel, NibabelWrite, path, "i2", "<", "0", "0", "none", "6,5,4", temp.File("nibabel.f32"));
        var image = Assert.Single(new NiftiReader().Read(path));
        Assert.Equal("pixdim", image.Metadata["NIfTI.GeometrySource"]);
        Assert.Equal(0.8, image.Spacing[0], 6);
        Assert.Equal(1.2, image.Spacing[1], 6);
        Assert.Equal(2.5, image.Spacing[2], 6);
        Assert.Equal([0.0, 0, 0], image.Origin);
        Assert.Equal([-1.0, 0, 0, 0, -1, 0, 0, 0, 1], image.Direction);
    }

    [Fact]
    public void BigEndianAndLittleEndianHeadersGiveTheSameImage()
    {
        using var temp = new TempFolder();
        short[] values = [-300, 0, 1, 2, 32767, -32768, 7, 8, 9, 10, 11, 12];
        var le = new byte[values.Length * 2];
        var be = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(le.AsSpan(2 * i), values[i]);
            System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(be.AsSpan(2 * i), values[i]);
        }

        var dim = new short[] { 3, 3, 2, 2, 1, 1, 1, 1 };
        new NiftiTestFile { Dim = dim, Data = le, SclSlope = 2, SclInter = 0.5f }.Write(temp.File("le.nii"));
        new NiftiTestFile { Dim = dim, Data = be, SclSlope = 2, SclInter = 0.5f, BigEndian = true }.Write(temp.File("be.nii"));
        var a = Assert.Single(new NiftiReader().Read(temp.File("le.nii")));
        var b = Assert.Single(new NiftiReader().Read(temp.File("be.nii")));
        var expected = values.Select(v => (float)((v * 2.0) + 0.5)).ToArray();
        Assert.Equal(expected, a.GetVoxels());
        Assert.Equal(expected, b.GetVoxels());
        Assert.Equal("2", a.Metadata["NIfTI.scl_slope"]);
        Assert.Equal("0.5", b.Metadata["NIfTI.scl_inter"]);
    }

    [Fact]
    public void UncompressedFileNamedNiiGzIsStillRead()
    {
        using var temp = new TempFolder();
        var path = temp.File("plain.nii.gz");
        new NiftiTestFile().Write(path);
        Assert.Equal("NIfTI", ImageLoader.CreateDefault().SelectReader(path).FormatName);
        Assert.Equal([4, 3, 2], Assert.Single(new NiftiReader().Read(path)).Size);
    }

    [Fact]
    public void MissingFileOfAPairIsFileNotFound()
    {
        using var temp = new TempFolder();
        var t = new NiftiTestFile { Magic = "ni1" };
        File.WriteAllBytes(temp.File("pair.hdr"), t.Build()[..348]);
        var e = ImagingAssert.ReadFails(new NiftiReader(), temp.File("pair.hdr"), ImageReadError.FileNotFound);
        Assert.Contains("pair.img", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedHeaderIsTruncated()
    {
        using var temp = new TempFolder();
        var path = temp.File("short.nii");
        File.WriteAllBytes(path, new NiftiTestFile().Build()[..200]);
        var e = ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.Truncated);
        Assert.Equal(200, e.Offset);
    }

    [Fact]
    public void DataShorterThanDeclaredIsDataSizeMismatch()
    {
        using var temp = new TempFolder();
        var path = temp.File("cut.nii");
        File.WriteAllBytes(path, new NiftiTestFile().Build()[..^3]);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.DataSizeMismatch);
    }

    [Fact]
    public void HugeDeclaredSizeInSmallFileFailsBeforeAllocating()
    {
        using var temp = new TempFolder();
        var path = temp.File("huge.nii");
        new NiftiTestFile { Dim = [3, 1000, 1000, 1000, 1, 1, 1, 1], Datatype = 16, Bitpix = 32 }.Write(path);
        var before = GC.GetAllocatedBytesForCurrentThread();
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.DataSizeMismatch);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "reading a small bad file must not allocate the declared size");
    }

    [Fact]
    public void HugeDeclaredSizeInSmallGzipFailsBeforeAllocating()
    {
        using var temp = new TempFolder();
        var path = temp.File("huge.nii.gz");
        new NiftiTestFile { Dim = [3, 1000, 1000, 1000, 1, 1, 1, 1], Datatype = 16, Bitpix = 32 }.WriteGzip(path);
        var before = GC.GetAllocatedBytesForCurrentThread();
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.DataSizeMismatch);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "reading a small bad file must not allocate the declared size");
    }

    [Fact]
    public void TruncatedGzipIsTruncatedOrCorrupt()
    {
        using var temp = new TempFolder();
        var rng = new Random(5);
        var data = new byte[64 * 64 * 16 * 2];
        rng.NextBytes(data);
        var file = new NiftiTestFile { Dim = [3, 64, 64, 16, 1, 1, 1, 1], Data = data };
        var path = temp.File("cut.nii.gz");
        file.WriteGzip(path, keepBytes: 40000);
        var e = Assert.Throws<ImageReadException>(() => new NiftiReader().Read(path));
        Assert.True(e.Error is ImageReadError.Truncated, $"got {e.Error}: {e.Message}");
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GzipWithTooLittleDataIsTruncated()
    {
        using var temp = new TempFolder();
        var path = temp.File("short.nii.gz");
        var file = new NiftiTestFile();
        file.Data = file.Data[..10];
        file.WriteGzip(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.Truncated);
    }

    [Fact]
    public void CorruptGzipIsCorruptHeader()
    {
        using var temp = new TempFolder();
        var path = temp.File("bad.nii.gz");
        new NiftiTestFile().WriteGzip(path);
        var bytes = File.ReadAllBytes(path);
        bytes[10] = 0x07; // first deflate block: final, block type 3 (reserved, invalid)

        File.WriteAllBytes(path, bytes);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.CorruptHeader);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public void ZeroOrNegativeDimensionIsAbsurd(short size)
    {
        using var temp = new TempFolder();
        var path = temp.File("zero.nii");
        new NiftiTestFile { Dim = [3, 4, size, 2, 1, 1, 1, 1] }.Write(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.AbsurdDimensions);
    }

    [Fact]
    public void MoreThan2Pow30VoxelsIsAbsurd()
    {
        using var temp = new TempFolder();
        var path = temp.File("big.nii");
        new NiftiTestFile { Dim = [3, 32767, 32767, 32767, 1, 1, 1, 1] }.Write(path);
        var e = ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.AbsurdDimensions);
        Assert.Contains("1073741824", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FourDimensionalSeriesIsUnsupported()
    {
        using var temp = new TempFolder();
        var path = temp.File("fmri.nii");
        new NiftiTestFile { Dim = [4, 4, 3, 2, 5, 1, 1, 1], Data = new byte[4 * 3 * 2 * 5 * 2] }.Write(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.UnsupportedEncoding);
    }

    [Theory]
    [InlineData(128, "RGB24")]
    [InlineData(32, "complex64")]
    [InlineData(1792, "complex128")]
    public void UnsupportedDatatypeIsNamed(short datatype, string name)
    {
        using var temp = new TempFolder();
        var path = temp.File("rgb.nii");
        new NiftiTestFile { Datatype = datatype, Data = new byte[4 * 3 * 2 * 16] }.Write(path);
        var e = ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.UnsupportedEncoding);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownDatatypeIsCorruptHeader()
    {
        using var temp = new TempFolder();
        var path = temp.File("dt.nii");
        new NiftiTestFile { Datatype = 3 }.Write(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.CorruptHeader);
    }

    [Theory]
    [InlineData(123)]
    [InlineData(-1)]
    [InlineData(float.NaN)]
    [InlineData(360.5f)]
    public void BadVoxOffsetIsCorruptHeader(float offset)
    {
        using var temp = new TempFolder();
        var path = temp.File("off.nii");
        new NiftiTestFile { VoxOffset = offset }.Write(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.CorruptHeader);
    }

    [Fact]
    public void WrongSizeofHdrIsCorruptHeader()
    {
        using var temp = new TempFolder();
        var path = temp.File("hdr.nii");
        new NiftiTestFile { SizeofHdr = 1234 }.Write(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.CorruptHeader);
    }

    [Fact]
    public void Nifti2IsUnsupported()
    {
        using var temp = new TempFolder();
        var path = temp.File("n2.nii");
        new NiftiTestFile { SizeofHdr = 540 }.Write(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.UnsupportedEncoding);
    }

    [Fact]
    public void BadMagicIsCorruptHeader()
    {
        using var temp = new TempFolder();
        var path = temp.File("magic.nii");
        new NiftiTestFile { Magic = "xyz" }.Write(path);
        ImagingAssert.ReadFails(new NiftiReader(), path, ImageReadError.CorruptHeader);
    }

    [Fact]
    public void CancelledTokenStopsTheRead()
    {
        using var temp = new TempFolder();
        var path = temp.File("ok.nii");
        new NiftiTestFile().Write(path);
        Assert.Single(new NiftiReader().Read(path));
        Assert.ThrowsAny<OperationCanceledException>(() => new NiftiReader().Read(path, new CancellationToken(canceled: true)));
    }

    private static JsonElement CompareWithNibabel(MedicalImage image, string json, string dump)
    {
        var reference = JsonDocument.Parse(json).RootElement;
        var shape = reference.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToList();
        while (shape.Count < 3)
        {
            shape.Add(1);
        }

        Assert.Equal(shape, image.Size);
        var expected = ImagingAssert.ReadFloat32(dump);
        ImagingAssert.VoxelsEqual(expected, image.VoxelSpan, 1e-6);
        var sum = 0.0;
        foreach (var v in image.VoxelSpan)
        {
            sum += v;
        }

        var refSum = reference.GetProperty("sum").GetDouble();
        Assert.True(Math.Abs(sum - refSum) <= 1e-5 * Math.Max(1, Math.Abs(refSum)), $"sum {sum} vs nibabel {refSum}");
        var (min, max) = image.GetRange();
        Assert.Equal((float)reference.GetProperty("min").GetDouble(), min);
        Assert.Equal((float)reference.GetProperty("max").GetDouble(), max);
        var affine = reference.GetProperty("affine").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        ImagingAssert.GeometryMatchesRasAffine(image, affine);
        return reference;
    }
}
