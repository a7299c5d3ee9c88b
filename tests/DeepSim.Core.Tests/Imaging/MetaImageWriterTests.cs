using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using Xunit;

namespace DeepSim.Tests.Imaging;

public class MetaImageWriterTests
{
    [Fact]
    public void ThreeDimensionalImageRoundTripsExactly()
    {
        using var temp = new TempFolder();
        var rng = new Random(11);
        var voxels = new float[7 * 5 * 4];
        for (var i = 0; i < voxels.Length; i++)
        {
            voxels[i] = (float)((rng.NextDouble() - 0.5) * 1e4);
        }

        voxels[0] = float.NaN;
        voxels[1] = float.NegativeInfinity;
        voxels[2] = -0.0f;
        voxels[3] = float.Epsilon;
        var a = Math.PI / 7;
        var geometry = new ImageGeometry(
            [0.7, 1.1, 2.9],
            [-12.125, 33.3, 1e-3],
            [Math.Cos(a), -Math.Sin(a), 0, Math.Sin(a), Math.Cos(a), 0, 0, 0, -1]);
        var metadata = new Dictionary<string, string> { ["MetaImage.SeriesNote"] = "kept", ["MetaImage.DimSize"] = "must not be copied", ["Other"] = "x" };
        var image = new MedicalImage(voxels, 7, 5, 4, geometry, "CT", metadata: metadata);
        var path = temp.File("out.mha");
        MetaImageWriter.Write(image, path);
        var back = Assert.Single(new MetaImageReader().Read(path));
        Assert.Equal([7, 5, 4], back.Size);
        Assert.Equal(
            voxels.Select(BitConverter.SingleToInt32Bits),
            back.GetVoxels().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(geometry, back.Geometry);
        Assert.Equal("CT", back.Modality);
        Assert.Equal("kept", back.Metadata["MetaImage.SeriesNote"]);
        Assert.Equal("7 5 4", back.Metadata["MetaImage.DimSize"]);
        Assert.Equal("MET_FLOAT", back.Metadata["MetaImage.ElementType"]);
        Assert.Equal(["out.mha"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void PlanarImageIsWrittenAs2D()
    {
        using var temp = new TempFolder();
        var image = new MedicalImage([1, 2, 3, 4, 5, 6], 3, 2, 1, new ImageGeometry([0.5, 0.25, 1], [3, 4, 0], [0, -1, 0, 1, 0, 0, 0, 0, 1]), "MR");
        var path = temp.File("p.mha");
        MetaImageWriter.Write(image, path);
        var header = File.ReadAllText(path).Split("ElementDataFile")[0];
        Assert.Contains("NDims = 2\n", header, StringComparison.Ordinal);
        Assert.Contains("TransformMatrix = 0 1 -1 0\n", header, StringComparison.Ordinal);
        Assert.Contains("Modality = MET_MOD_MR\n", header, StringComparison.Ordinal);
        var back = Assert.Single(new MetaImageReader().Read(path));
        Assert.Equal(image.GetVoxels(), back.GetVoxels());
        Assert.Equal(image.Geometry, back.Geometry);
        Assert.Equal("MR", back.Modality);
    }

    [Fact]
    public void SliceOutOfTheZPlaneKeepsItsGeometry()
    {
        using var temp = new TempFolder();
        var image = new MedicalImage([1, 2, 3, 4], 2, 2, 1, new ImageGeometry([1, 1, 3], [0, 0, 42], [1, 0, 0, 0, 1, 0, 0, 0, 1]));
        var path = temp.File("s.mha");
        MetaImageWriter.Write(image, path);
        var back = Assert.Single(new MetaImageReader().Read(path));
        Assert.Equal("3", back.Metadata["MetaImage.NDims"]);
        Assert.Equal(image.Geometry, back.Geometry);
    }

    [Fact]
    public void OverwritesAtomicallyAndLeavesNoTemporaryFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("o.mha");
        File.WriteAllText(path, "old content");
        MetaImageWriter.Write(new MedicalImage([9, 8], 2, 1, 1), path);
        Assert.Equal([9f, 8], Assert.Single(new MetaImageReader().Read(path)).GetVoxels());
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void CancelledWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("keep.mha");
        File.WriteAllText(path, "old content");
        Assert.ThrowsAny<OperationCanceledException>(() => MetaImageWriter.Write(new MedicalImage(new float[10], 10, 1, 1), path, new CancellationToken(canceled: true)));
        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void BadTargetsThrow()
    {
        using var temp = new TempFolder();
        var image = new MedicalImage([1], 1, 1, 1);
        Assert.Throws<ArgumentException>(() => MetaImageWriter.Write(image, temp.File("x.nii")));
        Assert.Throws<DirectoryNotFoundException>(() => MetaImageWriter.Write(image, temp.File("missing/x.mha")));
    }

    [SkippableFact]
    public void NiftiTemplateRoundTripsThroughMha()
    {
        var nifti = Assert.Single(new NiftiReader().Read(TestData.Require("mni-templates-3d/scct.nii")));
        using var temp = new TempFolder();
        var path = temp.File("scct.mha");
        MetaImageWriter.Write(nifti, path);
        var back = Assert.Single(ImageLoader.CreateDefault().SelectReader(path).Read(path));
        Assert.True(nifti.VoxelSpan.SequenceEqual(back.VoxelSpan));
        Assert.Equal(nifti.Geometry, back.Geometry);
    }
}
