using DeepSim.Imaging;
using Xunit;

namespace DeepSim.Tests.Imaging;

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "deepsim-imaging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class ImagingAssert
{
    /// <summary>Asserts that reading fails with the given error and that the message names the file.</summary>
    public static ImageReadException ReadFails(IImageReader reader, string path, ImageReadError expected)
    {
        var e = Assert.Throws<ImageReadException>(() => reader.Read(path));
        Assert.True(expected == e.Error, $"expected {expected}, got {e.Error}: {e.Message}");
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.Path);
        return e;
    }

    /// <summary>Reads a little-endian float32 file.</summary>
    public static float[] ReadFloat32(string path)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * 4);
        return values;
    }

    /// <summary>Every voxel equal within a relative tolerance; reports the first differences.</summary>
    public static void VoxelsEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relativeTolerance = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        var bad = 0;
        var first = "";
        for (var i = 0; i < expected.Length; i++)
        {
            var tol = relativeTolerance * Math.Max(1, Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= tol) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
            {
                if (bad++ < 5)
                {
                    first += $" [{i}] expected {expected[i]:R} got {actual[i]:R};";
                }
            }
        }

        Assert.True(bad == 0, $"{bad} voxels differ:{first}");
    }

    /// <summary>
    /// Checks that the image geometry is the RAS affine converted to LPS: every corner index maps to
    /// diag(-1,-1,1) * affine * (i, j, k, 1).
    /// </summary>
    public static void GeometryMatchesRasAffine(MedicalImage image, double[][] affine, double tolerance = 1e-5)
    {
        foreach (var (i, j, k) in new[] { (0, 0, 0), (image.SizeX - 1, 0, 0), (0, image.SizeY - 1, 0), (0, 0, image.SizeZ - 1), (image.SizeX - 1, image.SizeY - 1, image.SizeZ - 1), (1, 2, 3) })
        {
            var p = image.Geometry.IndexToPhysical(i, j, k);
            for (var r = 0; r < 3; r++)
            {
                var ras = (affine[r][0] * i) + (affine[r][1] * j) + (affine[r][2] * k) + affine[r][3];
                var lps = r < 2 ? -ras : ras;
                Assert.True(Math.Abs(lps - p[r]) <= tolerance, $"index ({i},{j},{k}) row {r}: expected {lps}, got {p[r]}");
            }
        }

        for (var c = 0; c < 3; c++)
        {
            var norm = Math.Sqrt((affine[0][c] * affine[0][c]) + (affine[1][c] * affine[1][c]) + (affine[2][c] * affine[2][c]));
            Assert.True(Math.Abs(norm - image.Spacing[c]) <= tolerance, $"spacing {c}: expected {norm}, got {image.Spacing[c]}");
            var d = image.Direction;
            var unit = Math.Sqrt((d[c] * d[c]) + (d[3 + c] * d[3 + c]) + (d[6 + c] * d[6 + c]));
            Assert.True(Math.Abs(unit - 1) <= tolerance, $"direction column {c} has length {unit}");
        }
    }
}
