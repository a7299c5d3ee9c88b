using DeepSim.Imaging;
using SkiaSharp;

namespace DeepSim.Tests.Similarity;

/// <summary>Loads an 8-bit grey PNG through SkiaSharp (the project's PNG reader is developed separately).</summary>
public static class GreyPng
{
    public static MedicalImage Load(string path)
    {
        using var bitmap = SKBitmap.Decode(path) ?? throw new InvalidOperationException($"SkiaSharp cannot decode {path}.");
        var voxels = new float[bitmap.Width * bitmap.Height];
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red != c.Green || c.Red != c.Blue)
                {
                    throw new InvalidOperationException($"{path} is not a grey image (pixel {x},{y} is {c}).");
                }

                voxels[(y * bitmap.Width) + x] = c.Red;
            }
        }

        return new MedicalImage(voxels, bitmap.Width, bitmap.Height, 1, sourcePath: path, format: "PNG");
    }

    public static (MedicalImage Fixed, MedicalImage Moving) T1AndPd() =>
        (Load(TestData.Require("mr-t1-pd-slice/BrainT1Slice.png")), Load(TestData.Require("mr-t1-pd-slice/BrainProtonDensitySlice.png")));
}
