using DeepSim.Evaluation;
using DeepSim.Patches;
using Xunit;

namespace DeepSim.Tests.Evaluation;

/// <summary>Centre selection: determinism, distinctness, border safety and the region of interest.</summary>
public class CenterSelectionTests
{
    private static bool[] Disc(int size, int cx, int cy, int r)
    {
        var mask = new bool[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                mask[(y * size) + x] = ((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= r * r;
            }
        }

        return mask;
    }

    [Fact]
    public void SameSeedGivesSameCentresAndOtherSeedsDiffer()
    {
        var mask = Disc(256, 128, 128, 110);
        var options = new PredictionErrorOptions();
        var a = PredictionErrorProtocol.SelectCenters(mask, 256, 256, options);
        var b = PredictionErrorProtocol.SelectCenters(mask, 256, 256, options);
        var c = PredictionErrorProtocol.SelectCenters(mask, 256, 256, options with { Seed = 2 });
        Assert.Equal(300, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(300, a.Distinct().Count());
    }

    [Fact]
    public void CentresLieInTheRegionAndFarEnoughFromTheBorder()
    {
        var mask = Disc(256, 128, 128, 127);
        var options = new PredictionErrorOptions();
        Assert.Equal(48, options.Margin);
        var centres = PredictionErrorProtocol.SelectCenters(mask, 256, 256, options);
        foreach (var c in centres)
        {
            Assert.True(mask[(c.Y * 256) + c.X], $"{c} outside the mask");
            Assert.InRange(c.X, 48, 256 - 49);
            Assert.InRange(c.Y, 48, 256 - 49);
        }

        // Every candidate patch of every centre fits: the extreme corners are inside the image.
        Assert.True(centres.Min(c => c.X) - 40 - 8 >= 0);
        Assert.True(centres.Max(c => c.X) + 40 + 8 <= 255);
    }

    [Fact]
    public void CandidateListIsDeduplicatedAndTooFewCandidatesIsAnError()
    {
        var list = new List<PatchCenter>();
        for (var i = 0; i < 20; i++)
        {
            list.Add(new PatchCenter(50 + i, 60));
            list.Add(new PatchCenter(50 + i, 60));
            list.Add(new PatchCenter(2, 60 + i));
        }

        var chosen = PredictionErrorProtocol.SelectCenters(list, 200, 200, 20, 5, 48);
        Assert.Equal(20, chosen.Distinct().Count());
        Assert.All(chosen, c => Assert.Equal(60, c.Y));
        var e = Assert.Throws<ArgumentException>(() => PredictionErrorProtocol.SelectCenters(list, 200, 200, 21, 5, 48));
        Assert.Contains("Only 20", e.Message);
    }

    [Fact]
    public void MaskMustMatchTheImageSize()
    {
        Assert.Throws<ArgumentException>(() => PredictionErrorProtocol.SelectCenters(new bool[10], 4, 4, 1, 1, 0));
    }
}
