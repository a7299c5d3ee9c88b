using System.Globalization;
using System.Text.RegularExpressions;
using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using Xunit;

namespace DeepSim.Tests.Dicom;

/// <summary>Series assembly from generated slice files, and geometry checked against gdcminfo.</summary>
public sealed partial class DicomSeriesTests : IDisposable
{
    private static readonly double[] Axial = [1, 0, 0, 0, 1, 0];
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsim-dicom-series-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes slices at the given positions along z with shuffled file names and instance numbers; pixel = 100*k + x.</summary>
    private List<string> WriteSeries(string seriesUid, double[] zPositions, double[]? orientation = null, int seed = 7, string prefix = "f", int instanceBase = 0)
    {
        const int rows = 12;
        const int cols = 16;
        var rng = new Random(seed);
        var names = Enumerable.Range(0, zPositions.Length).OrderBy(_ => rng.Next()).ToArray();
        var instances = Enumerable.Range(instanceBase + 1, zPositions.Length).OrderBy(_ => rng.Next()).ToArray();
        var paths = new List<string>();
        for (var k = 0; k < zPositions.Length; k++)
        {
            var px = new short[rows * cols];
            for (var y = 0; y < rows; y++)
            {
                for (var x = 0; x < cols; x++)
                {
                    px[(y * cols) + x] = (short)((100 * k) + x);
                }
            }

            var path = Path.Combine(_dir, $"{prefix}{names[k]:000}.dcm");
            DicomTestWriter.CtSlice(seriesUid, instances[k], [-40.5, -30.25, zPositions[k]], orientation ?? Axial, 0.7, 2.5)
                .Pixels16(rows, cols, px)
                .Save(path);
            paths.Add(path);
        }

        return paths;
    }

    [Fact]
    public void ShuffledSliceFilesBecomeOneVolumeSortedByPosition()
    {
        // Positions descending with k, so file-name, instance-number and k order all differ from position order.
        var z = Enumerable.Range(0, 10).Select(k => 50.0 - (2.5 * k)).ToArray();
        var paths = WriteSeries("1.2.826.0.1.3680043.9.7.2", z);
        var warnings = new List<string>();
        var errors = new List<ImageReadException>();
        var images = new DicomImageReader().ReadMany(paths, errors.Add, warnings.Add);

        var image = Assert.Single(images);
        Assert.Empty(errors);
        Assert.Empty(warnings);
        Assert.Equal([16, 12, 10], image.Size);
        Assert.Equal("CT", image.Modality);
        Assert.Equal(2.5, image.Spacing[2], 6);
        Assert.Equal(0.7, image.Spacing[0], 6);
        Assert.Equal([-40.5, -30.25, 27.5], image.Origin);
        Assert.Equal([1.0, 0, 0, 0, 1, 0, 0, 0, 1], image.Direction);
        for (var zi = 0; zi < 10; zi++)
        {
            // Lowest position first: slice index zi holds k = 9 - zi; CT intercept -1024.
            Assert.Equal((100 * (9 - zi)) + 5 - 1024, image[5, 3, zi]);
        }

        Assert.Equal("1.2.826.0.1.3680043.9.7.2", image.Metadata["SeriesInstanceUID"]);
        Assert.Equal("DS-0001", image.Metadata["PatientID"]);
        Assert.Equal("Test^Patient", image.Metadata["PatientName"]);
        Assert.Equal("-1024", image.Metadata["RescaleIntercept"]);
        Assert.Equal("1", image.Metadata["RescaleSlope"]);
        Assert.Equal("10", image.Metadata["NumberOfFiles"]);
    }

    [Fact]
    public void GapAndUnevenSpacingAreWarned()
    {
        var paths = WriteSeries("1.2.826.0.1.3680043.9.7.3", [0, 2, 4, 6, 10, 12, 14]);
        paths.AddRange(WriteSeries("1.2.826.0.1.3680043.9.7.4", [0, 2, 4, 5.5, 7.5, 9.5], prefix: "u"));
        var warnings = new List<string>();
        var images = new DicomImageReader().ReadMany(paths, e => Assert.Fail(e.Message), warnings.Add);

        Assert.Equal(2, images.Count);
        Assert.Contains(warnings, w => w.Contains("9.7.3", StringComparison.Ordinal) && w.Contains("gap of 4 mm", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("9.7.4", StringComparison.Ordinal) && w.Contains("uneven spacing of 1.5 mm", StringComparison.Ordinal));
        Assert.All(images, i => Assert.Equal(2.0, i.Spacing[2], 6));
    }

    [Fact]
    public void MixedOrientationsInOneSeriesAreWarnedAndSplit()
    {
        var paths = WriteSeries("1.2.826.0.1.3680043.9.7.5", [0, 3, 6]);
        paths.AddRange(WriteSeries("1.2.826.0.1.3680043.9.7.5", [10, 13, 16, 19], orientation: [1, 0, 0, 0, 0, -1], prefix: "c", instanceBase: 100));
        var warnings = new List<string>();
        var images = new DicomImageReader().ReadMany(paths, e => Assert.Fail(e.Message), warnings.Add);

        Assert.Equal(2, images.Count);
        Assert.Contains(warnings, w => w.Contains("mixed orientations", StringComparison.Ordinal));
        var coronal = images.Single(i => i.SizeZ == 4);
        Assert.Equal([1.0, 0, 0, 0, 0, 1, 0, -1, 0], coronal.Direction);
    }

    [Fact]
    public void FolderWithSeveralSeriesAndBrokenFilesGivesOneImagePerSeriesAndReportsTheRest()
    {
        var paths = WriteSeries("1.2.826.0.1.3680043.9.7.6", [0, 1, 2]);
        paths.AddRange(WriteSeries("1.2.826.0.1.3680043.9.7.7", [5, 6, 7, 8], prefix: "b"));
        var truncated = Path.Combine(_dir, "truncated.dcm");
        var bytes = DicomTestWriter.CtSlice("1.2.826.0.1.3680043.9.7.6", 999, [0, 0, 3], Axial, 0.7, 2.5).Pixels16(12, 16, new short[12 * 16]).ToBytes();
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 100)]);
        var report = Path.Combine(_dir, "report.dcm");
        new DicomTestWriter().Text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.88.11").Text(0x0008, 0x0060, "CS", "SR").Save(report);
        paths.Add(truncated);
        paths.Add(report);

        var errors = new List<ImageReadException>();
        var images = new DicomImageReader().ReadMany(paths, errors.Add, _ => { });

        Assert.Equal(2, images.Count);
        Assert.Contains(images, i => i.SizeZ == 4);
        Assert.Contains(images, i => i.SizeZ == 3);
        Assert.Contains(errors, e => e.Path == report && e.Error == ImageReadError.NotAnImage);
        Assert.Contains(errors, e => e.Path == truncated && e.Error == ImageReadError.Truncated);
    }

    [Fact]
    public void TheSameInstanceInTwoFilesIsUsedOnceWithAWarning()
    {
        var paths = WriteSeries("1.2.826.0.1.3680043.9.7.10", [0, 1, 2]);
        var copy = Path.Combine(_dir, "copy.dcm");
        File.Copy(paths[1], copy);
        paths.Add(copy);
        var warnings = new List<string>();
        var image = Assert.Single(new DicomImageReader().ReadMany(paths, e => Assert.Fail(e.Message), warnings.Add));
        Assert.Equal(3, image.SizeZ);
        Assert.Contains(warnings, w => w.Contains("copy.dcm", StringComparison.Ordinal) && w.Contains("same instance", StringComparison.Ordinal));
    }

    [Fact]
    public void ImageLoaderRoutesDicomFilesToTheSeriesReader()
    {
        var paths = WriteSeries("1.2.826.0.1.3680043.9.7.8", [0, 1.25, 2.5, 3.75]);
        var results = ImageLoader.CreateDefault().Load(paths).ToList();
        var image = Assert.Single(results).Image;
        Assert.NotNull(image);
        Assert.Equal("DICOM", image.Format);
        Assert.Equal(4, image.SizeZ);
        Assert.Equal(1.25, image.Spacing[2], 6);
    }

    [SkippableFact]
    public void WholeSharedFolderLoadsThroughImageLoaderWithoutUnhandledErrors()
    {
        var folder = TestData.Require("dicom/pydicom");
        var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
        var warnings = new List<string>();
        var results = ImageLoader.CreateDefault().Load(files, warnings.Add).ToList();
        var images = results.Where(r => r.Image is not null).ToList();
        var errors = results.Where(r => r.Error is not null).ToList();
        Assert.All(results, r => Assert.True((r.Image is null) != (r.Error is null)));
        Assert.True(images.Count >= 12, $"{images.Count} images");

        // The MR_small* files are one instance in several encodings: one image, the copies warned about.
        Assert.Single(images, r => r.Image!.Metadata.GetValueOrDefault("SeriesInstanceUID") == DicomFile.Open(Path.Combine(folder, "MR_small.dcm")).Get(0x0020, 0x000E));
        Assert.Contains(warnings, w => w.Contains("same instance", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Error!.Error == ImageReadError.UnsupportedEncoding);
        Assert.Contains(errors, e => e.Error!.Error == ImageReadError.NotAnImage);
        Assert.Contains(errors, e => e.Error!.Error == ImageReadError.Truncated);
        Assert.Contains(images, r => r.Image!.Name == "CT_small.dcm" || r.Image.Metadata.GetValueOrDefault("Modality") == "CT");
    }

    [SkippableFact]
    public void SeriesGeometryMatchesGdcminfo()
    {
        DicomOracle.RequireTool("gdcminfo");
        var oblique = new[] { 0.8660254, 0.5, 0, -0.5, 0.8660254, 0 };
        var z = new[] { 10.0, 12.0, 14.0, 16.0, 18.0 };
        var paths = WriteSeries("1.2.826.0.1.3680043.9.7.9", z, orientation: oblique);
        var image = Assert.Single(new DicomImageReader().ReadMany(paths, e => Assert.Fail(e.Message), w => Assert.Fail(w)));

        // gdcminfo's origin of each file; the volume starts at the one lowest along the normal (0,0,1).
        var infos = paths.Select(Gdcminfo).ToList();
        var first = infos.OrderBy(i => i.Origin[2]).First();
        var last = infos.OrderBy(i => i.Origin[2]).Last();
        Assert.Equal(first.Origin, image.Origin.Select(v => Math.Round(v, 4)).ToArray());
        Assert.Equal(first.Spacing[0], image.Spacing[0], 4);
        Assert.Equal(first.Spacing[1], image.Spacing[1], 4);
        Assert.Equal((last.Origin[2] - first.Origin[2]) / (infos.Count - 1), image.Spacing[2], 4);
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(first.Direction[r], image.Direction[r * 3], 4);
            Assert.Equal(first.Direction[3 + r], image.Direction[(r * 3) + 1], 4);
        }
    }

    [SkippableTheory]
    [InlineData("dicom/pydicom-data/eCT_Supplemental.dcm")]
    [InlineData("dicom/pydicom/CT_small.dcm")]
    [InlineData("dicom/pydicom/MR_small.dcm")]
    public void SingleFileGeometryMatchesGdcminfo(string relative)
    {
        var path = TestData.Require(relative);
        DicomOracle.RequireTool("gdcminfo");
        var info = Gdcminfo(path);
        var image = new DicomImageReader().Read(path).Single();
        Assert.Equal(info.Dimensions, image.Size);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(info.Origin[i], image.Origin[i], 3);
        }

        Assert.Equal(info.Spacing[0], image.Spacing[0], 4);
        Assert.Equal(info.Spacing[1], image.Spacing[1], 4);
        if (image.SizeZ > 1)
        {
            // gdcm signs the z spacing along row x column; DeepSim keeps spacing positive and flips the third direction.
            Assert.Equal(Math.Abs(info.Spacing[2]), image.Spacing[2], 4);
            var normal = DicomPlane.Cross(info.Direction[..3], info.Direction[3..]);
            for (var r = 0; r < 3; r++)
            {
                Assert.Equal(Math.Sign(info.Spacing[2]) * normal[r], image.Direction[(r * 3) + 2], 4);
            }
        }

        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(info.Direction[r], image.Direction[r * 3], 4);
            Assert.Equal(info.Direction[3 + r], image.Direction[(r * 3) + 1], 4);
        }
    }

    [SkippableFact]
    public void MultiFrameWithoutPositionsTakesSpacingBetweenSlices()
    {
        // emri_small has no positions, only Spacing Between Slices 1.2 (gdcminfo reports 1 here; DeepSim uses the attribute).
        var image = new DicomImageReader().Read(TestData.Require("dicom/pydicom-data/emri_small.dcm")).Single();
        Assert.Equal([64, 64, 10], image.Size);
        Assert.Equal(1.2, image.Spacing[2], 6);
    }

    private static (int[] Dimensions, double[] Origin, double[] Spacing, double[] Direction) Gdcminfo(string path)
    {
        var (code, stdout, _) = DicomOracle.Run("gdcminfo", path);
        Assert.Equal(0, code);
        double[] Numbers(string key)
        {
            var m = Regex.Match(stdout, "^" + Regex.Escape(key) + @":\s*\(([^)]*)\)", RegexOptions.Multiline);
            Assert.True(m.Success, $"gdcminfo printed no {key} for {path}");
            return [.. m.Groups[1].Value.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture))];
        }

        var dims = Numbers("Dimensions").Select(d => (int)d).ToArray();
        if (dims.Length == 2)
        {
            dims = [dims[0], dims[1], 1];
        }

        return (dims, Numbers("Origin"), Numbers("Spacing"), Numbers("DirectionCosines"));
    }
}
