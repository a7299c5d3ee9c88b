using System.Globalization;
using System.Security;
using DeepSim.Imaging;
using DeepSim.Tests.Dicom;

namespace DeepSim.Tests.Archive;

/// <summary>Synthetic series and comparisons shared by the DICOMweb tests.</summary>
internal static class ArchiveTestData
{
    public static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text)
        {
            s.AppendChar(c);
        }

        s.MakeReadOnly();
        return s;
    }

    /// <summary>A CT series of <paramref name="slices"/> 16x12 slices, 2.5 mm apart, with pixels that differ per slice; files in instance order.</summary>
    public static List<byte[]> CtSeries(string seriesUid, int slices, int seed = 1)
    {
        var files = new List<byte[]>();
        var random = new Random(seed);
        for (var i = 1; i <= slices; i++)
        {
            var pixels = new short[16 * 12];
            for (var p = 0; p < pixels.Length; p++)
            {
                pixels[p] = (short)random.Next(-1000, 3000);
            }

            // Instances are numbered opposite to their position, so that assembly must sort by position.
            var w = DicomTestWriter.CtSlice(seriesUid, i, [-20.0, -15.0, 100.0 - (2.5 * i)], [1, 0, 0, 0, 1, 0], 0.75, 2.5);
            files.Add(w.Pixels16(12, 16, pixels).ToBytes());
        }

        return files;
    }

    /// <summary>Null when both images have the same size, geometry, modality and identical voxels; else what differs.</summary>
    public static string? Difference(MedicalImage expected, MedicalImage actual)
    {
        if (expected.SizeX != actual.SizeX || expected.SizeY != actual.SizeY || expected.SizeZ != actual.SizeZ)
        {
            return $"size {actual.SizeX}x{actual.SizeY}x{actual.SizeZ}, expected {expected.SizeX}x{expected.SizeY}x{expected.SizeZ}";
        }

        if (!expected.Spacing.SequenceEqual(actual.Spacing) || !expected.Origin.SequenceEqual(actual.Origin) || !expected.Direction.SequenceEqual(actual.Direction))
        {
            return $"geometry spacing [{Join(actual.Spacing)}] origin [{Join(actual.Origin)}] direction [{Join(actual.Direction)}], expected [{Join(expected.Spacing)}] [{Join(expected.Origin)}] [{Join(expected.Direction)}]";
        }

        if (expected.Modality != actual.Modality)
        {
            return $"modality {actual.Modality}, expected {expected.Modality}";
        }

        var a = expected.VoxelSpan;
        var b = actual.VoxelSpan;
        for (var i = 0; i < a.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
            {
                return $"voxel {i} is {b[i]}, expected {a[i]}";
            }
        }

        return null;
    }

    private static string Join(double[] v) => string.Join(", ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
}
