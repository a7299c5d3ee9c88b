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
