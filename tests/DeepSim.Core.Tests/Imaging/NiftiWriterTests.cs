using System.Buffers.Binary;
using System.Text.Json;
using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using Xunit;

namespace DeepSim.Tests.Imaging;

public class NiftiWriterTests
{
    private static readonly string[] Nibabel = ["numpy", "nibabel"];

    /// <summary>Loads a NIfTI file with nibabel (argv = path dump) and prints shape, affine, sform, qform, codes; dumps voxels as float32, x fastest.</summary>
    private const string NibabelRead = """
        import json, sys
        import numpy as np
        import nibabel as nib
        path, out = sys.argv[1:3]
        img = nib.load(path)
        d = np.asarray(img.get_fdata(dtype=np.float64))
        d.astype('<f4').ravel(order='F').tofile(out)
        h = img.header
        print(json.dumps({
            "shape": list(img.shape),
            "affine": img.affine.tolist(),
            "qform": img.get_qform().tolist(),
            "sform_code": int(h['sform_code']),
            "qform_code": int(h['qform_code']),
            "datatype": str(h.get_data_dtype()),
        }))
        """;

    private static MedicalImage Oblique(int sx, int sy, int sz, bool leftHanded, int seed)
    {
        var rng = new Random(seed);
        var voxels = new float[sx * sy * sz];
        for (var i = 0; i < voxels.Length; i++)
        {
            voxels[i] = (float)((rng.NextDouble() - 0.3) * 2e3);
        }

        // A rotation of 20 degrees about (1, 2, 3)/sqrt(14), optionally with the third axis flipped.
        var t = 20 * Math.PI / 180;
        double[] u = [1 / Math.Sqrt(14), 2 / Math.Sqrt(14), 3 / Math.Sqrt(14)];
        var r = new double[9];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                var k = 3 - i - j;
                var cross = i == j ? 0 : ((i + 1) % 3 == j ? -u[k] : u[k]);
                r[(3 * i) + j] = ((i == j ? 1 : 0) * Math.Cos(t)) + (Math.Sin(t) * cross) + ((1 - Math.Cos(t)) * u[i] * u[j]);
            }
        }

        if (leftHanded)
        {
            r[2] = -r[2];
            r[5] = -r[5];
            r[8] = -r[8];
        }

        return new MedicalImage(voxels, sx, sy, sz, new ImageGeometry([0.8, 1.25, 2.5], [10.5, -20.25, 30], r), "CT");
    }

    /// <summary>The RAS affine expected from an LPS geometry, computed independently of the writer: diag(-1,-1,1) * [D*S | o].</summary>
    private static double[,] ExpectedRas(ImageGeometry g)
    {
        var a = new double[4, 4];
        for (var i = 0; i < 3; i++)
        {
            var flip = i < 2 ? -1 : 1;
            for (var j = 0; j < 3; j++)
            {
                a[i, j] = flip * g.Direction[(3 * i) + j] * g.Spacing[j];
            }

            a[i, 3] = flip * g.Origin[i];
        }

        a[3, 3] = 1;
        return a;
    }

    private static void AssertMatrix(double[,] expected, JsonElement actual, double tolerance)
    {
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                var v = actual[i][j].GetDouble();
                Assert.True(Math.Abs(expected[i, j] - v) <= tolerance * Math.Max(1, Math.Abs(expected[i, j])), $"affine[{i},{j}]: expected {expected[i, j]}, nibabel read {v}");
            }
        }
    }

    private static (JsonElement Info, float[] Voxels) ReadWithNibabel(string path, TempFolder temp)
    {
        var dump = temp.File("nibabel-" + Guid.NewGuid().ToString("N") + ".f32");
        var json = PythonOracle.RunWith(Nibabel, NibabelRead, path, dump);
        var bytes = File.ReadAllBytes(dump);
        var voxels = new float[bytes.Length / 4];
        for (var i = 0; i < voxels.Length; i++)
        {
            voxels[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        }

        return (JsonDocument.Parse(json).RootElement.Clone(), voxels);
    }

    [Theory]
    [InlineData("v.nii", false)]
    [InlineData("v.nii.gz", false)]
    [InlineData("v.nii", true)]
    [InlineData("v.nii.gz", true)]
    public void VolumeRoundTripsThroughDeepSimsReader(string name, bool leftHanded)
    {
        using var temp = new TempFolder();
        var image = Oblique(7, 5, 4, leftHanded, 3);
        var voxels = image.GetVoxels();
        voxels[0] = float.NaN;
        voxels[1] = float.NegativeInfinity;
        voxels[2] = -0.0f;
        voxels[3] = float.Epsilon;
        image = new MedicalImage(voxels, 7, 5, 4, image.Geometry, "CT");
        var path = temp.File(name);
        NiftiWriter.Write(image, path);
        var back = Assert.Single(new NiftiReader().Read(path));
        Assert.Equal(image.Size, back.Size);
        Assert.Equal(voxels.Select(BitConverter.SingleToInt32Bits), back.GetVoxels().Select(BitConverter.SingleToInt32Bits));
        Assert.True(image.Geometry.ApproximatelyEquals(back.Geometry, 1e-6), $"wrote {image.Geometry}, read {back.Geometry}");
        Assert.Equal("sform", back.Metadata["NIfTI.GeometrySource"]);
        Assert.Equal("float32", back.Metadata["NIfTI.datatype"]);
        Assert.Equal("false", back.Metadata["NIfTI.ScalingApplied"]);
        Assert.Equal("CT", back.Modality);
        Assert.Equal([name], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void QformAloneGivesTheSameGeometry(bool leftHanded)
    {
        // Clear sform_code in the written header: DeepSim's reader then builds the geometry from the quaternion.
        using var temp = new TempFolder();
        var image = Oblique(6, 5, 3, leftHanded, 5);
        var path = temp.File("q.nii");
        NiftiWriter.Write(image, path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(252)));
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(254), 0);
        File.WriteAllBytes(path, bytes);
        var back = Assert.Single(new NiftiReader().Read(path));
        Assert.Equal("qform", back.Metadata["NIfTI.GeometrySource"]);
        Assert.True(image.Geometry.ApproximatelyEquals(back.Geometry, 1e-5), $"wrote {image.Geometry}, read {back.Geometry}");
    }

    [Fact]
    public void ShearedDirectionWritesNoQform()
    {
        using var temp = new TempFolder();
        var image = new MedicalImage(new float[8], 2, 2, 2, new ImageGeometry([1, 1, 1], [0, 0, 0], [1, 0.3, 0, 0, 0.9539392, 0, 0, 0, 1]));
        var path = temp.File("shear.nii");
        NiftiWriter.Write(image, path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0, BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(252)));
        Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(254)));
        Assert.True(image.Geometry.ApproximatelyEquals(Assert.Single(new NiftiReader().Read(path)).Geometry, 1e-6));
    }

    [SkippableTheory]
    [InlineData("o.nii", false)]
    [InlineData("o.nii.gz", true)]
    public void NibabelReadsTheSameVoxelsAndAffine(string name, bool leftHanded)
    {
        using var temp = new TempFolder();
        var image = Oblique(7, 6, 5, leftHanded, 9);
        var path = temp.File(name);
        NiftiWriter.Write(image, path);
        var (info, voxels) = ReadWithNibabel(path, temp);
        Assert.Equal([7, 6, 5], info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("float32", info.GetProperty("datatype").GetString());
        Assert.True(image.VoxelSpan.SequenceEqual(voxels));
        var expected = ExpectedRas(image.Geometry);
        AssertMatrix(expected, info.GetProperty("affine"), 1e-6);
        AssertMatrix(expected, info.GetProperty("qform"), 1e-5);
    }

    [SkippableFact]
    public void MniTemplateReexportIsReadByNibabelWithTheOriginalAffine()
    {
        var source = TestData.Require("mni-templates-3d/avg152T1.nii");
        using var temp = new TempFolder();
        var original = Assert.Single(new NiftiReader().Read(source));
        var (originalInfo, originalVoxels) = ReadWithNibabel(source, temp);
        var path = temp.File("avg152T1-again.nii.gz");
        NiftiWriter.Write(original, path);

        var (info, voxels) = ReadWithNibabel(path, temp);
        Assert.Equal([91, 109, 91], info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(original.VoxelSpan.SequenceEqual(voxels), "nibabel must read DeepSim's float32 voxels back exactly");
        Assert.True(originalVoxels.AsSpan().SequenceEqual(voxels), "the re-export must hold the voxel values nibabel reads from the original");
        var originalAffine = new double[4, 4];
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                originalAffine[i, j] = originalInfo.GetProperty("affine")[i][j].GetDouble();
            }
        }

        AssertMatrix(originalAffine, info.GetProperty("affine"), 0);
        AssertMatrix(originalAffine, info.GetProperty("qform"), 1e-6);
        Assert.Equal(originalInfo.GetProperty("sform_code").GetInt32(), info.GetProperty("sform_code").GetInt32());

        var back = Assert.Single(new NiftiReader().Read(path));
        Assert.True(original.VoxelSpan.SequenceEqual(back.VoxelSpan));
        Assert.Equal(original.Geometry, back.Geometry);
    }

    [SkippableFact]
    public void TwoDimensionalSliceIsReadByNibabelAsA2DImageWithItsPlaneAffine()
    {
        var source = TestData.Require("mni-templates-3d/avg152T1.nii");
        using var temp = new TempFolder();
        var slice = Assert.Single(new NiftiReader().Read(source)).GetSlice(45);
        var path = temp.File("slice45.nii");
        NiftiWriter.Write(slice, path);

        var (info, voxels) = ReadWithNibabel(path, temp);
        Assert.Equal([91, 109], info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(slice.VoxelSpan.SequenceEqual(voxels));

        // RAS diag(-2, 2, 2) + (90, -126, -72) of the template, moved to slice 45: z = -72 + 45 * 2 = 18.
        var expected = new double[,] { { -2, 0, 0, 90 }, { 0, 2, 0, -126 }, { 0, 0, 2, 18 }, { 0, 0, 0, 1 } };
        AssertMatrix(expected, info.GetProperty("affine"), 0);

        var back = Assert.Single(new NiftiReader().Read(path));
        Assert.Equal([91, 109, 1], back.Size);
        Assert.Equal(slice.Geometry, back.Geometry);
        Assert.True(slice.VoxelSpan.SequenceEqual(back.VoxelSpan));
    }

    [Fact]
    public void CancelledWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("keep.nii.gz");
        File.WriteAllText(path, "old content");
        Assert.ThrowsAny<OperationCanceledException>(() => NiftiWriter.Write(new MedicalImage(new float[10], 10, 1, 1), path, new CancellationToken(canceled: true)));
        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void BadTargetsThrow()
    {
        using var temp = new TempFolder();
        var image = new MedicalImage([1], 1, 1, 1);
        Assert.Throws<ArgumentException>(() => NiftiWriter.Write(image, temp.File("x.mha")));
        Assert.Throws<DirectoryNotFoundException>(() => NiftiWriter.Write(image, temp.File("missing/x.nii")));
        Assert.Throws<ArgumentException>(() => ImageWriters.Write(image, temp.File("x.png")));
    }

    [Fact]
    public void MhdWritesHeaderAndRawThatTheReaderJoins()
    {
        using var temp = new TempFolder();
        var image = Oblique(4, 3, 2, true, 1);
        var path = temp.File("pair.mhd");
        ImageWriters.Write(image, path);
        Assert.Equal(["pair.mhd", "pair.raw"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order());
        Assert.Contains("ElementDataFile = pair.raw\n", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(4 * 3 * 2 * 4, new FileInfo(temp.File("pair.raw")).Length);
        var back = Assert.Single(ImageLoader.CreateDefault().SelectReader(path).Read(path));
        Assert.True(image.VoxelSpan.SequenceEqual(back.VoxelSpan));
        Assert.Equal(image.Geometry, back.Geometry);
        Assert.Equal([path, temp.File("pair.raw")], ImageWriters.FilesWritten(path));
    }
}
