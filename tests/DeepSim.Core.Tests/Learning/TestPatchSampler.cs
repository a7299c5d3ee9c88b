using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using DeepSim.Patches;

namespace DeepSim.Tests.Learning;

/// <summary>
/// Test-only patch sampling for the learning tests (images come from the project's PNG reader; this file is also
/// compiled into bench/learning, so it depends on nothing else in the tests). Positives: the same random position in
/// both images. Negatives: the fixed position and a moving position shifted by 2..MaxShift px (Chebyshev distance).
/// </summary>
internal static class TestPatchSampler
{
    /// <summary>Reads a grey PNG into a 2D image (row y, column x) with the project's own <see cref="PngReader"/>, the tests' one PNG loader.</summary>
    public static MedicalImage LoadPng(string path) => new PngReader().Read(path)[0];

    /// <summary>
    /// Samples <paramref name="positives"/> Match and <paramref name="negatives"/> NonMatch pairs whose fixed patch is
    /// not background (standard deviation above <paramref name="minStd"/>), interleaved.
    /// </summary>
    public static List<PatchPair> Sample(MedicalImage fixedImage, MedicalImage movingImage, int positives, int negatives, int patchSize, int seed, int maxShift = 12, float minStd = 8f)
    {
        var rng = new Random(seed);
        var half = patchSize / 2;
        var margin = half + maxShift;
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var pairs = new List<PatchPair>(positives + negatives);
        int pos = 0, neg = 0, guard = 0;
        while ((pos < positives || neg < negatives) && guard++ < 1_000_000)
        {
            var cx = rng.Next(margin, fixedImage.SizeX - margin);
            var cy = rng.Next(margin, fixedImage.SizeY - margin);
            var fixedPatch = Extract(fixedImage, cx, cy, patchSize);
            if (Std(fixedPatch) < minStd)
            {
                continue;
            }

            var wantPositive = pos < positives && (neg >= negatives || rng.Next(2) == 0);
            int mx = cx, my = cy;
            if (!wantPositive)
            {
                do
                {
                    mx = cx + rng.Next(-maxShift, maxShift + 1);
                    my = cy + rng.Next(-maxShift, maxShift + 1);
                }
                while (Math.Max(Math.Abs(mx - cx), Math.Abs(my - cy)) < 2);
            }

            var movingPatch = Extract(movingImage, mx, my, patchSize);
            pairs.Add(new PatchPair(
                fixedPatch, movingPatch, patchSize, wantPositive ? PatchLabel.Match : PatchLabel.NonMatch,
                new PatchCenter(cx, cy), new PatchCenter(mx, my),
                fixedImage.SourcePath ?? "fixed", movingImage.SourcePath ?? "moving", fixedRange, movingRange));
            if (wantPositive)
            {
                pos++;
            }
            else
            {
                neg++;
            }
        }

        return pairs;
    }

    /// <summary>Query centres whose search window of <paramref name="radius"/> fits and whose fixed patch is not background.</summary>
    public static List<PatchCenter> Centres(MedicalImage fixedImage, int count, int patchSize, int radius, int seed, float minStd = 8f)
    {
        var rng = new Random(seed);
        var margin = (patchSize / 2) + radius;
        var result = new List<PatchCenter>();
        while (result.Count < count)
        {
            var cx = rng.Next(margin, fixedImage.SizeX - margin);
            var cy = rng.Next(margin, fixedImage.SizeY - margin);
            if (Std(Extract(fixedImage, cx, cy, patchSize)) >= minStd)
            {
                result.Add(new PatchCenter(cx, cy));
            }
        }

        return result;
    }

    /// <summary>The patch centred at (cx, cy), row-major (<see cref="MedicalImage.CopyPatch(int, int, int, int)"/>).</summary>
    public static float[] Extract(MedicalImage image, int cx, int cy, int patchSize) => image.CopyPatch(cx, cy, 0, patchSize);

    private static double Std(float[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }
}
