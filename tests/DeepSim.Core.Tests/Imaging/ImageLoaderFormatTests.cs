using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using Xunit;

namespace DeepSim.Tests.Imaging;

public class ImageLoaderFormatTests
{
    [Fact]
    public void DefaultLoaderHasTheFourReadersInOrder()
    {
        Assert.Equal(["DICOM", "NIfTI", "MetaImage", "PNG"], ImageLoader.CreateDefault().Readers.Select(r => r.FormatName));
    }

    [SkippableTheory]
    [InlineData("mni-templates-3d/avg152T1.nii", "NIfTI")]
    [InlineData("mni-templates-3d/avg152T1.nii.gz", "NIfTI")]
    [InlineData("mr-t1-pd-slice/BrainProtonDensitySliceBorder20.mhd", "MetaImage")]
    [InlineData("mr-t1-pd-slice/BrainProtonDensity3Slices.mha", "MetaImage")]
    [InlineData("mr-t1-pd-slice/BrainT1Slice.png", "PNG")]
    public void SelectsTheReaderByNameAndContent(string relative, string format)
    {
        var path = TestData.Require(relative);
        Assert.Equal(format, ImageLoader.CreateDefault().SelectReader(path).FormatName);

        // Renamed without a telling extension, PNG and NIfTI are still recognised from their first bytes.
        if (!relative.EndsWith(".gz", StringComparison.Ordinal) && format != "MetaImage")
        {
            using var temp = new TempFolder();
            var copy = temp.File("renamed.bin");
            File.Copy(path, copy);
            Assert.Equal(format, ImageLoader.CreateDefault().SelectReader(copy).FormatName);
        }
    }

    [Fact]
    public void UnknownEmptyAndMissingFilesGiveSpecificErrors()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("notes.txt"), "hello, not an image");
        File.WriteAllBytes(temp.File("empty.png"), []);
        var loader = ImageLoader.CreateDefault();
        Assert.Equal(ImageReadError.UnknownFormat, Assert.Throws<ImageReadException>(() => loader.SelectReader(temp.File("notes.txt"))).Error);
        Assert.Equal(ImageReadError.Truncated, Assert.Throws<ImageReadException>(() => loader.SelectReader(temp.File("empty.png"))).Error);
        Assert.Equal(ImageReadError.FileNotFound, Assert.Throws<ImageReadException>(() => loader.SelectReader(temp.File("none.nii"))).Error);

        // A .png shorter than the signature goes to the PNG reader, which reports it truncated.
        File.WriteAllBytes(temp.File("five.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D]);
        var reader = loader.SelectReader(temp.File("five.png"));
        Assert.Equal("PNG", reader.FormatName);
        ImagingAssert.ReadFails(reader, temp.File("five.png"), ImageReadError.Truncated);
    }

    [Fact]
    public void LoadReportsEachFileInOrder()
    {
        using var temp = new TempFolder();
        MetaImageWriter.Write(new MedicalImage([1, 2, 3, 4], 2, 2, 1), temp.File("good.mha"));
        File.WriteAllText(temp.File("bad.mhd"), "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = missing.raw\n");
        File.WriteAllBytes(temp.File("good.png"), PngReaderTests.RandomImage(3, 2, 0, 8, false, 1).Encode());
        var results = ImageLoader.CreateDefault().Load([temp.File("good.mha"), temp.File("bad.mhd"), temp.File("good.png")]).ToList();
        Assert.Equal(3, results.Count);
        Assert.Equal([1f, 2, 3, 4], results[0].Image!.GetVoxels());
        Assert.Equal(ImageReadError.FileNotFound, results[1].Error!.Error);
        Assert.Contains("missing.raw", results[1].Error!.Message, StringComparison.Ordinal);
        Assert.Equal("PNG", results[2].Image!.Format);
    }

    [SkippableFact]
    public void CompanionDataFilesOfAFolderAreFound()
    {
        var folder = TestData.Require("mr-t1-pd-slice");
        var files = Directory.GetFiles(folder);
        var data = CompanionFiles.FindDataFiles(files);
        Assert.Equal(
            ["BrainProtonDensity3Slices.raw", "BrainProtonDensitySliceBorder20.raw", "BrainProtonDensitySliceShifted13x17y.raw"],
            data.Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // The .raw next to the DirectionPlus30 header is not its data file (the header names a .zraw).
        Assert.DoesNotContain(data, p => p.EndsWith("DirectionPlus30.raw", StringComparison.Ordinal));
    }

    [Fact]
    public void NiftiPairDataFileIsACompanion()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("a.hdr"), new NiftiTestFile { Magic = "ni1" }.Build()[..348]);
        File.WriteAllBytes(temp.File("a.img"), new byte[48]);
        File.WriteAllBytes(temp.File("b.img"), new byte[48]);
        var data = CompanionFiles.FindDataFiles([temp.File("a.hdr"), temp.File("a.img"), temp.File("b.img")]);
        Assert.Equal([temp.File("a.img")], data);
    }
}
