using DeepSim.Imaging;
using DeepSim.Patches;
using Xunit;

namespace DeepSim.Tests.Imaging;

/// <summary>MedicalImage.CopyPatch, the one patch extraction, and the one patch-size rule.</summary>
public class MedicalImagePatchTests
{
    private static MedicalImage Volume(int sx, int sy, int sz, int seed = 1)
    {
        var random = new Random(seed);
        var voxels = new float[sx * sy * sz];
        for (var i = 0; i < voxels.Length; i++)
        {
            voxels[i] = (float)random.NextDouble();
        }

        return new MedicalImage(voxels, sx, sy, sz);
    }

    [Fact]
    public void CopiesTheVoxelsAroundTheCenterRowByRowInItsOwnSlice()
    {
        var image = Volume(23, 17, 4);
        var random = new Random(5);
        foreach (var size in new[] { 1, 3, 7, 17 })
        {
            for (var trial = 0; trial < 20; trial++)
            {
                var h = size / 2;
                int cx = random.Next(h, 23 - h), cy = random.Next(h, 17 - h), cz = random.Next(0, 4);
                var destination = new float[(size * size) + 3];
                destination.AsSpan().Fill(-1);
                image.CopyPatch(cx, cy, cz, size, destination);
                for (var row = 0; row < size; row++)
                {
                    for (var col = 0; col < size; col++)
                    {
                        Assert.Equal(image[cx - h + col, cy - h + row, cz], destination[(row * size) + col]);
                    }
                }

                // Nothing beyond size * size is touched; the array form and the sampler give the same values.
                Assert.Equal([-1f, -1f, -1f], destination[(size * size)..]);
                Assert.Equal(destination[..(size * size)], image.CopyPatch(cx, cy, cz, size));
                Assert.Equal(destination[..(size * size)], PatchSampler.Extract(image, new PatchCenter(cx, cy, cz), size));
            }
        }
    }

    [Theory]
    [InlineData(1, 8, 0, 5)]
    [InlineData(20, 8, 0, 5)]
    [InlineData(10, 1, 0, 5)]
    [InlineData(10, 15, 0, 5)]
    [InlineData(10, 8, 4, 5)]
    [InlineData(10, 8, -1, 5)]
    [InlineData(10, 8, 0, 4)]
    [InlineData(10, 8, 0, 0)]
    [InlineData(10, 8, 0, -3)]
    public void RefusesPatchesThatLeaveTheImageAndEvenOrEmptySizes(int cx, int cy, int cz, int size)
    {
        var image = Volume(21, 17, 4);
        Assert.False(image.ContainsPatch(cx, cy, cz, size));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.CopyPatch(cx, cy, cz, size, new float[100]));
    }

    [Fact]
    public void RefusesADestinationTooSmallForThePatch()
    {
        var image = Volume(9, 9, 1);
        Assert.True(image.ContainsPatch(4, 4, 0, 5));
        Assert.Throws<ArgumentException>(() => image.CopyPatch(4, 4, 0, 5, new float[24]));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(17, true)]
    [InlineData(0, false)]
    [InlineData(16, false)]
    [InlineData(-1, false)]
    [InlineData(-17, false)]
    public void APatchSizeIsValidWhenOddAndPositive(int size, bool valid)
    {
        Assert.Equal(valid, MedicalImage.IsValidPatchSize(size));
        if (valid)
        {
            MedicalImage.ThrowIfInvalidPatchSize(size);
        }
        else
        {
            var patchSize = size;
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => MedicalImage.ThrowIfInvalidPatchSize(patchSize));
            Assert.Equal("patchSize", e.ParamName);
        }
    }
}
