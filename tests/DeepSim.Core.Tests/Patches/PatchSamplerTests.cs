using DeepSim.Imaging;
using DeepSim.Patches;
using Xunit;

namespace DeepSim.Tests.Patches;

public class PatchSamplerTests
{
    /// <summary>A 64x48 image whose voxel value encodes its position: v = x + 100 y (+ 10000 z).</summary>
    private static MedicalImage Ramp(int sx = 64, int sy = 48, int sz = 1, float offset = 0, string name = "ramp")
    {
        var v = new float[sx * sy * sz];
        for (var z = 0; z < sz; z++)
        {
            for (var y = 0; y < sy; y++)
            {
                for (var x = 0; x < sx; x++)
                {
                    v[x + (sx * (y + (sy * z)))] = x + (100 * y) + (10000 * z) + offset;
                }
            }
        }

        return new MedicalImage(v, sx, sy, sz, sourcePath: "/data/" + name);
    }

    [Fact]
    public void SamplesCountPositivesAndAsManyNegatives()
    {
        var pairs = PatchSampler.Sample(Ramp(), Ramp(offset: 5), new PatchSamplingOptions { Count = 50, Region = RegionKind.All, Seed = 1 });
        Assert.Equal(100, pairs.Count);
        Assert.Equal(50, pairs.Count(p => p.IsMatch));
        Assert.Equal(50, pairs.Count(p => !p.IsMatch));
    }

    [Fact]
    public void PatchesHoldTheVoxelsAroundTheirCentres()
    {
        var pairs = PatchSampler.Sample(Ramp(), Ramp(offset: 5), new PatchSamplingOptions { Count = 30, PatchSize = 5, Region = RegionKind.All, Seed = 2 });
        foreach (var p in pairs)
        {
            Assert.Equal(p.FixedCenter.X + (100 * p.FixedCenter.Y), p.FixedPatch[12]);
            Assert.Equal(p.MovingCenter.X + (100 * p.MovingCenter.Y) + 5, p.MovingPatch[12]);
            Assert.Equal(p.FixedCenter.X - 2 + (100 * (p.FixedCenter.Y - 2)), p.FixedPatch[0]);
            Assert.Equal(p.MovingCenter.X + 2 + (100 * (p.MovingCenter.Y + 2)) + 5, p.MovingPatch[24]);
        }
    }

    [Fact]
    public void PositivesShareTheCentreAndNegativesLeaveThe3x3Neighbourhood()
    {
        var pairs = PatchSampler.Sample(Ramp(), Ramp(), new PatchSamplingOptions { Count = 400, PatchSize = 7, Region = RegionKind.All, Seed = 3 });
        Assert.All(pairs.Where(p => p.IsMatch), p => Assert.Equal(p.FixedCenter, p.MovingCenter));
        Assert.All(pairs.Where(p => !p.IsMatch), p => Assert.True(Math.Max(Math.Abs(p.FixedCenter.X - p.MovingCenter.X), Math.Abs(p.FixedCenter.Y - p.MovingCenter.Y)) > 1));
    }

    [Fact]
    public void PatchesNeverLeaveTheImage()
    {
        var pairs = PatchSampler.Sample(Ramp(20, 20), Ramp(20, 20), new PatchSamplingOptions { Count = 500, PatchSize = 17, Region = RegionKind.All, Seed = 4 });
        Assert.All(pairs, p =>
        {
            Assert.InRange(p.FixedCenter.X, 8, 11);
            Assert.InRange(p.MovingCenter.Y, 8, 11);
        });
    }

    [Fact]
    public void SameSeedSamePairsOtherSeedOtherPairs()
    {
        var o = new PatchSamplingOptions { Count = 20, Region = RegionKind.All, Seed = 7 };
        var a = PatchSampler.Sample(Ramp(), Ramp(), o).Select(p => (p.FixedCenter, p.MovingCenter)).ToList();
        var b = PatchSampler.Sample(Ramp(), Ramp(), o).Select(p => (p.FixedCenter, p.MovingCenter)).ToList();
        var c = PatchSampler.Sample(Ramp(), Ramp(), o with { Seed = 8 }).Select(p => (p.FixedCenter, p.MovingCenter)).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void SkullRegionKeepsCentresNearBrightVoxels()
    {
        // A dark image with a bright ring (radius 15 around (32,24)), as bone around a head.
        var v = new float[64 * 48];
        for (var y = 0; y < 48; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                var r = Math.Sqrt(((x - 32) * (x - 32)) + ((y - 24) * (y - 24)));
                v[x + (64 * y)] = Math.Abs(r - 15) < 1 ? 255 : 40;
            }
        }

        var img = new MedicalImage(v, 64, 48, 1);
        var pairs = PatchSampler.Sample(img, img, new PatchSamplingOptions { Count = 200, PatchSize = 5, DilationRadius = 3, Seed = 5 });
        Assert.All(pairs.Where(p => p.IsMatch), p =>
        {
            var r = Math.Sqrt(Math.Pow(p.FixedCenter.X - 32, 2) + Math.Pow(p.FixedCenter.Y - 24, 2));
            Assert.InRange(r, 15 - 1 - 3 - 0.5, 15 + 1 + 3 + 0.5);
        });
    }

    [Fact]
    public void HardNegativesStayWithinTheirRadius()
    {
        var pairs = PatchSampler.Sample(Ramp(), Ramp(), new PatchSamplingOptions { Count = 300, PatchSize = 5, Region = RegionKind.All, Negatives = NegativeSampling.Neighbourhood, NegativeRadius = 4, Seed = 6 });
        Assert.All(pairs.Where(p => !p.IsMatch), p =>
        {
            var d = Math.Max(Math.Abs(p.FixedCenter.X - p.MovingCenter.X), Math.Abs(p.FixedCenter.Y - p.MovingCenter.Y));
            Assert.InRange(d, 2, 4);
        });
    }

    [Fact]
    public void MaskRestrictsPositives()
    {
        var m = new float[64 * 48];
        m[30 + (64 * 20)] = 1;
        var mask = new MedicalImage(m, 64, 48, 1);
        var pairs = PatchSampler.Sample(Ramp(), Ramp(), new PatchSamplingOptions { Count = 5, PatchSize = 5, Seed = 1 }, mask);
        Assert.All(pairs, p => Assert.Equal(new PatchCenter(30, 20), p.FixedCenter));
    }

    [Fact]
    public void ThreeDimensionalImagesGiveInPlanePatchesFromEverySlice()
    {
        var pairs = PatchSampler.Sample(Ramp(16, 16, 4), Ramp(16, 16, 4), new PatchSamplingOptions { Count = 200, PatchSize = 5, Region = RegionKind.All, Seed = 9 });
        Assert.Equal(4, pairs.Select(p => p.FixedCenter.Z).Distinct().Count());
        Assert.All(pairs, p => Assert.Equal(p.FixedCenter.Z, p.MovingCenter.Z));
        Assert.All(pairs, p => Assert.Equal(p.FixedCenter.X + (100 * p.FixedCenter.Y) + (10000 * p.FixedCenter.Z), p.FixedPatch[12]));
    }

    [Theory]
    [InlineData(64, 48, 1, 64, 40, 1, PatchSamplingError.ImageGeometryMismatch)]
    [InlineData(64, 48, 1, 64, 48, 2, PatchSamplingError.ImageGeometryMismatch)]
    public void MismatchedImagesAreRefused(int ax, int ay, int az, int bx, int by, int bz, PatchSamplingError expected)
    {
        var e = Assert.Throws<PatchSamplingException>(() => PatchSampler.Sample(Ramp(ax, ay, az), Ramp(bx, by, bz), new PatchSamplingOptions { Region = RegionKind.All }));
        Assert.Equal(expected, e.Error);
        Assert.Contains("ramp", e.Message);
    }

    [Fact]
    public void DifferentSpacingIsAGeometryMismatch()
    {
        var a = Ramp();
        var b = new MedicalImage(a.GetVoxels(), 64, 48, 1, new ImageGeometry([2, 2, 1], [0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 1]));
        var e = Assert.Throws<PatchSamplingException>(() => PatchSampler.Sample(a, b, new PatchSamplingOptions { Region = RegionKind.All }));
        Assert.Equal(PatchSamplingError.ImageGeometryMismatch, e.Error);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(65)]
    public void BadPatchSizesAreRefused(int size)
    {
        var e = Assert.Throws<PatchSamplingException>(() => PatchSampler.Sample(Ramp(), Ramp(), new PatchSamplingOptions { PatchSize = size, Region = RegionKind.All }));
        Assert.Equal(PatchSamplingError.InvalidPatchSize, e.Error);
    }

    [Fact]
    public void EmptyRegionIsRefusedWithAHint()
    {
        var img = new MedicalImage(new float[64 * 48], 64, 48, 1);
        var mask = new MedicalImage(new float[64 * 48], 64, 48, 1);
        var e = Assert.Throws<PatchSamplingException>(() => PatchSampler.Sample(img, img, new PatchSamplingOptions(), mask));
        Assert.Equal(PatchSamplingError.EmptyRegion, e.Error);
        Assert.Contains("-Mask", e.Message);
    }

    [Fact]
    public void OtsuSeparatesTwoLevels()
    {
        var v = Enumerable.Range(0, 1000).Select(i => i < 600 ? 10f : 200f).ToArray();
        var t = RegionOfInterest.OtsuThreshold(new MedicalImage(v, 1000, 1, 1));
        Assert.InRange(t, 10.5f, 200f);
    }

    [Fact]
    public void DefaultBoneThresholdIsHounsfieldAwareAndRangeBasedOtherwise()
    {
        Assert.Equal(300f, RegionOfInterest.DefaultBoneThreshold(new MedicalImage([-1024, 0, 2000, 40], 4, 1, 1)));
        Assert.Equal(204f, RegionOfInterest.DefaultBoneThreshold(new MedicalImage([0, 100, 255, 40], 4, 1, 1)));
    }
}
