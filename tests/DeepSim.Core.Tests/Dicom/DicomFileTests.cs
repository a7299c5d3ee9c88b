using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using Xunit;

namespace DeepSim.Tests.Dicom;

/// <summary>The tag API (<see cref="DicomFile"/>), values checked against dcmdump; recognition; pixel values of known files.</summary>
public sealed class DicomFileTests
{
    [SkippableTheory]
    [InlineData("dicom/pydicom/CT_small.dcm")]
    [InlineData("dicom/pydicom/MR_small_implicit.dcm")]
    [InlineData("dicom/pydicom/MR_small_bigendian.dcm")]
    [InlineData("dicom/pydicom/image_dfl.dcm")]
    [InlineData("dicom/pydicom/rtplan.dcm")]
    public void TagValuesMatchDcmdump(string relative)
    {
        var path = TestData.Require(relative);
        DicomOracle.RequireTool("dcmdump");
        var file = DicomFile.Open(path);
        var keywords = new[]
        {
            "PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "StudyDate", "Modality", "SeriesNumber",
            "Rows", "Columns", "BitsStored", "PixelRepresentation", "PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient",
            "RescaleSlope", "RescaleIntercept", "SOPClassUID", "TransferSyntaxUID", "ImageType", "SliceThickness",
        };
        var compared = 0;
        foreach (var keyword in keywords)
        {
            Assert.True(DicomDictionary.TryGetTag(keyword, out var tag));
            var (_, dump, _) = DicomOracle.Run("dcmdump", "-q", "+L", "+P", $"{tag.Group:x4},{tag.Element:x4}", path);
            var first = dump.Split('\n').FirstOrDefault(l => l.StartsWith($"({tag.Group:x4},{tag.Element:x4})", StringComparison.Ordinal));
            var found = file.TryGet(keyword, out var mine);
            if (first is null)
            {
                Assert.False(found && mine.Length > 0, $"{keyword}: DeepSim finds '{mine}', dcmdump nothing");
                continue;
            }

            var expected = DcmdumpValue(first);
            if (expected is null)
            {
                continue; // empty value or a form (e.g. =UID name) that is not the raw value
            }

            Assert.True(found, $"{keyword} missing, dcmdump has {expected}");
            Assert.Equal(expected, mine);
            compared++;
        }

        Assert.True(compared >= 3, $"only {compared} tags compared");
    }

    [SkippableFact]
    public void AnyTagByNumberAndPrivateTagsAndSequences()
    {
        var file = DicomFile.Open(TestData.Require("dicom/pydicom/CT_small.dcm"));
        Assert.Equal(file.Dataset.Get(0x0010, 0x0010), file.Get(0x0010, 0x0010));
        Assert.True(file.TryGet("(0028,0010)", out var rows));
        Assert.Equal("128", rows);
        Assert.True(file.TryGet("00280011", out var cols));
        Assert.Equal("128", cols);
        Assert.True(file.TryGet("transfersyntaxuid", out var ts));
        Assert.Equal("1.2.840.10008.1.2.1", ts);
        Assert.False(file.TryGet("NoSuchKeyword", out _));
        Assert.Contains(file.Dataset.Elements, e => e.Tag.IsPrivate);

        var plan = DicomFile.Open(TestData.Require("dicom/pydicom/rtplan.dcm"));
        var sequence = plan.Dataset.Elements.First(e => e.IsSequence && e.Items.Count > 0);
        Assert.Equal($"[{sequence.Items.Count} items]", plan.Dataset.FormatValue(sequence));
        Assert.NotEmpty(sequence.Items[0].Elements);
    }

    [SkippableFact]
    public void TagValuesForACmdlet()
    {
        var file = DicomFile.Open(TestData.Require("dicom/pydicom/CT_small.dcm"));
        var all = file.GetTagValues();
        Assert.Contains(all, v => v.Tag == "(0002,0010)" && v.Value == "1.2.840.10008.1.2.1");
        Assert.Contains(all, v => v.Keyword == "PixelSpacing" && v.Vr == "DS" && v.Value!.Contains('\\', StringComparison.Ordinal));
        var some = file.GetTagValues(["Rows", "(0010,0020)", "0009,10FF", "TransferSyntaxUID"]);
        Assert.Equal(["(0028,0010)", "(0010,0020)", "(0009,10FF)", "(0002,0010)"], some.Select(v => v.Tag));
        Assert.Equal("128", some[0].Value);
        Assert.Null(some[2].Value);
        Assert.Throws<ArgumentException>(() => file.GetTagValues(["NotAKeyword"]));
    }

    [SkippableFact]
    public void AllReadableMrSmallEncodingsGiveTheSameImage()
    {
        var reader = new DicomImageReader();
        float[]? reference = null;
        var decoded = 0;
        foreach (var path in Directory.GetFiles(Path.GetDirectoryName(TestData.Require("dicom/pydicom/MR_small.dcm"))!, "MR_small*.dcm"))
        {
            MedicalImage image;
            try
            {
                image = reader.Read(path).Single();
            }
            catch (ImageReadException e) when (e.Error == ImageReadError.UnsupportedEncoding)
            {
                Assert.Matches("JPEG 2000|JPEG-LS", e.Message);
                continue;
            }

            Assert.Equal([64, 64, 1], image.Size);
            Assert.Equal((127f, 2145f), image.GetRange());
            reference ??= image.GetVoxels();
            Assert.Equal(reference, image.GetVoxels());
            decoded++;
        }

        Assert.Equal(6, decoded);
    }

    [SkippableFact]
    public void CtIsInHounsfieldUnitsWithTheRescaleInMetadata()
    {
        var path = TestData.Require("dicom/pydicom/CT_small.dcm");
        var image = new DicomImageReader().Read(path).Single();
        var file = DicomFile.Open(path);
        var slope = double.Parse(image.Metadata["RescaleSlope"], System.Globalization.CultureInfo.InvariantCulture);
        var intercept = double.Parse(image.Metadata["RescaleIntercept"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(file.Dataset.Get(0x0028, 0x1052), image.Metadata["RescaleIntercept"]);
        var stored = new DicomPixelData(file).GetNativeFrame(0, out _);
        for (var i = 0; i < 128 * 128; i += 97)
        {
            var raw = BitConverter.ToInt16(stored, i * 2);
            Assert.Equal((float)((raw * slope) + intercept), image.VoxelSpan[i]);
        }

        Assert.Equal("CT", image.Modality);
        foreach (var key in new[] { "PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "StudyDate", "Modality", "SeriesNumber", "TransferSyntaxUID", "PhotometricInterpretation" })
        {
            Assert.True(image.Metadata.ContainsKey(key), key);
        }
    }

    [SkippableFact]
    public void RecognisesEveryDicomFileAndNoOtherFormat()
    {
        var reader = new DicomImageReader();
        var root = TestData.Require("dicom");
        foreach (var path in Directory.GetFiles(root, "*.dcm", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(path) == "no_meta.dcm")
            {
                continue; // starts with a stray byte; dcmtk and gdcm refuse it too
            }

            Assert.True(reader.CanRead(path, Head(path)), path);
        }

        var others = Directory.GetFiles(TestData.Require("mr-t1-pd-slice"))
            .Concat(Directory.GetFiles(TestData.Require("mni-templates-3d")))
            .Concat(Directory.GetFiles(TestData.Require("ct-mr-head/CT")).Take(5));
        foreach (var path in others)
        {
            Assert.False(reader.CanRead(path, Head(path)), path);
        }
    }

    [SkippableTheory]
    [InlineData("dicom/pydicom-data/OT-PAL-8-face.dcm")]
    [InlineData("dicom/pydicom-data/gdcm-US-ALOKA-16.dcm")]
    [InlineData("dicom/pydicom/examples_palette.dcm")]
    public void PaletteColourLuminanceMatchesGdcmAppliedLut(string relative)
    {
        var path = TestData.Require(relative);
        var work = Directory.CreateTempSubdirectory("deepsim-dicom-lut-").FullName;
        try
        {
            var rgbFile = Path.Combine(work, "rgb.dcm");
            var raw = Path.Combine(work, "rgb.raw");
            Assert.Equal(0, DicomOracle.Run("gdcmconv", "--raw", "--apply-lut", "-i", path, "-o", rgbFile).Code);
            Assert.Equal(0, DicomOracle.Run("gdcmraw", "-i", rgbFile, "-o", raw, "-t", "7fe0,0010").Code);
            var bits = int.Parse(DicomFile.Open(rgbFile).Get(0x0028, 0x0100)!, System.Globalization.CultureInfo.InvariantCulture);
            var rgb = File.ReadAllBytes(raw);
            var image = new DicomImageReader().Read(path).Single();

            // DeepSim keeps luminance in the LUT's units (descriptor bits); gdcm writes 8-bit RGB for 8-bit images,
            // truncating 16-bit entries (>> 8).
            var lutBits = int.Parse(DicomFile.Open(path).Get(0x0028, 0x1101)!.Split('\\')[2], System.Globalization.CultureInfo.InvariantCulture);
            var scale = bits < lutBits ? Math.Pow(2, lutBits - bits) : 1;
            var n = image.SizeX * image.SizeY;
            for (var i = 0; i < n; i += 13)
            {
                double Channel(int c) => bits == 16 ? BitConverter.ToUInt16(rgb, ((i * 3) + c) * 2) : rgb[(i * 3) + c];
                var expected = (0.299 * Channel(0)) + (0.587 * Channel(1)) + (0.114 * Channel(2));
                var mine = image.VoxelSpan[i] / scale;
                Assert.True(Math.Abs(expected - mine) <= (scale > 1 ? 1 : 1e-3 * Math.Max(1, expected)), $"pixel {i}: {mine} vs gdcm {expected}");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void SegmentedLookupTableExpandsDiscreteLinearAndIndirectSegments()
    {
        ushort[] words = [0, 3, 10, 20, 30, 1, 4, 70, 2, 1, 0, 0];
        var lut = DicomPalette.ExpandSegmentedLut(words, 10, "x");
        Assert.Equal(new ushort[] { 10, 20, 30, 40, 50, 60, 70, 10, 20, 30 }, lut);
        Assert.Throws<ImageReadException>(() => DicomPalette.ExpandSegmentedLut([7, 1, 0], 4, "x"));
    }

    private static byte[] Head(string path)
    {
        using var s = File.OpenRead(path);
        var b = new byte[Math.Min(1024, s.Length)];
        s.ReadExactly(b);
        return b;
    }

    /// <summary>The value dcmdump prints: "[text]" for strings, "n\m" for numbers; null for empty or symbolic (=Name) values.</summary>
    private static string? DcmdumpValue(string line)
    {
        var body = line[12..].TrimStart();
        body = body[2..].TrimStart(); // VR
        var hash = body.LastIndexOf(" #", StringComparison.Ordinal);
        body = (hash >= 0 ? body[..hash] : body).TrimEnd();
        if (body.StartsWith('['))
        {
            var text = body[1..body.LastIndexOf(']')];
            return string.Join('\\', text.Split('\\').Select(s => s.Trim(' ')));
        }

        return body.StartsWith('=') || body.StartsWith('(') ? null : body;
    }
}
