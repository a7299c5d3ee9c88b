using DeepSim.Imaging.Dicom;
using Xunit;

namespace DeepSim.Tests.Dicom;

/// <summary>
/// JPEG lossless process 14 with every predictor (selection values 1-7) and a point transform: files encoded by dcmtk's
/// dcmcjpeg, decoded by DeepSim and by dcmdjpeg / gdcm, pixels compared byte for byte.
/// </summary>
public sealed class DicomJpegLosslessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsim-dicom-jpegll-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableTheory]
    [InlineData("dicom/pydicom/CT_small.dcm", 1, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 2, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 3, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 4, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 5, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 6, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 7, 0)]
    [InlineData("dicom/pydicom/CT_small.dcm", 4, 2)]
    [InlineData("dicom/pydicom/MR_small.dcm", 7, 0)]
    [InlineData("dicom/pydicom-data/SC_rgb.dcm", 1, 0)]
    [InlineData("dicom/pydicom-data/SC_rgb.dcm", 6, 0)]
    [InlineData("dicom/pydicom-data/SC_rgb_2frame.dcm", 5, 0)]
    [InlineData("dicom/pydicom-data/emri_small.dcm", 2, 1)]
    public void EveryPredictorDecodesLikeDcmtkAndGdcm(string relative, int selectionValue, int pointTransform)
    {
        var source = TestData.Require(relative);
        var encoded = Path.Combine(_dir, $"sv{selectionValue}pt{pointTransform}.dcm");
        var (code, _, err) = DicomOracle.Run("dcmcjpeg", "+el", "+sv", selectionValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "+pt", pointTransform.ToString(System.Globalization.CultureInfo.InvariantCulture), source, encoded);
        Assert.True(code == 0, err);
        var file = DicomFile.Open(encoded);
        Assert.Equal("1.2.840.10008.1.2.4.57", file.TransferSyntax.Uid);
        var pixels = new DicomPixelData(file);

        var references = new[] { DicomOracle.DecodeWithDcmtk(encoded, "dcmdjpeg", _dir), DicomOracle.DecodeWithGdcm(encoded, _dir) };
        Assert.All(references, r => Assert.NotNull(r));
        foreach (var reference in references)
        {
            var (bytes, planar) = reference!.Value;
            Assert.False(planar && pixels.Samples > 1, "reference output is planar");
            var frameBytes = pixels.GetNativeFrame(0, out _).Length;
            for (var f = 0; f < pixels.Frames; f++)
            {
                Assert.Equal(bytes.AsSpan(f * frameBytes, frameBytes).ToArray(), pixels.GetNativeFrame(f, out _));
            }
        }

        if (pointTransform == 0)
        {
            // Lossless: also equal to the source.
            var original = new DicomPixelData(DicomFile.Open(source));
            if (!original.Planar)
            {
                for (var f = 0; f < pixels.Frames; f++)
                {
                    Assert.Equal(original.GetNativeFrame(f, out _), pixels.GetNativeFrame(f, out _));
                }
            }
        }
    }
}
