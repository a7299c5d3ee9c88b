using DeepSim.Evaluation;
using Xunit;

namespace DeepSim.Tests.Evaluation;

/// <summary>Ranks and ties of the prediction-error protocol on hand-made score maps.</summary>
public class RankingTests
{
    private const int Radius = 3;
    private const int W = (2 * Radius) + 1;

    private static float[] Map(float fill = 0) => Enumerable.Repeat(fill, W * W).ToArray();

    private static void Set(float[] map, int dx, int dy, float value) => map[((dy + Radius) * W) + dx + Radius] = value;

    [Fact]
    public void BestAtTheTrueCentreHasErrorZero()
    {
        var map = Map();
        Set(map, 0, 0, 5);
        var rank = PredictionErrorProtocol.RankQuery(map, Radius, 1);
        Assert.Equal(1, rank.Rank);
        Assert.Equal(0, rank.Error);
        Assert.Equal(new SearchOffset(0, 0), rank.BestOffset);
        Assert.Equal(5, rank.BestScore);
    }

    [Fact]
    public void BestInTheRingOfTheThreeByThreeCountsAsAHit()
    {
        var map = Map();
        Set(map, 1, -1, 5);
        var rank = PredictionErrorProtocol.RankQuery(map, Radius, 1);
        Assert.Equal(0, rank.Error);
        Assert.Equal(new SearchOffset(1, -1), rank.BestOffset);

        // Just outside the ring it is a miss with tolerance 1 (one candidate ahead of the in-region best) ...
        Set(map, 1, -1, 1);
        Set(map, 2, 0, 5);
        Assert.Equal(1, PredictionErrorProtocol.RankQuery(map, Radius, 1).Error);

        // ... and a hit with tolerance 2.
        Assert.Equal(0, PredictionErrorProtocol.RankQuery(map, Radius, 2).Error);
    }

    [Fact]
    public void RankCountsOutsideCandidatesScoringAtLeastTheBestInside()
    {
        var map = Enumerable.Range(0, W * W).Select(i => (float)i).ToArray();

        // In-region best is offset (1, 1) -> index 4 * 7 + 4 = 32; outside scores above 32: indices 33..48 except
        // the in-region ones (none above 32), i.e. 16 ahead.
        var rank = PredictionErrorProtocol.RankQuery(map, Radius, 1);
        Assert.Equal(17, rank.Rank);
        Assert.Equal(16, rank.Error);
        Assert.Equal(new SearchOffset(3, 3), rank.BestOffset);
        Assert.Equal(32, rank.TrueRegionScore);
    }

    [Fact]
    public void TiesArePessimistic()
    {
        var map = Map();
        Set(map, 0, 0, 5);
        Set(map, -3, 2, 5);
        Set(map, 3, 3, 5);
        var rank = PredictionErrorProtocol.RankQuery(map, Radius, 1);
        Assert.Equal(3, rank.Rank);
        Assert.Equal(2, rank.Error);
    }

    [Fact]
    public void AllEqualMapGetsTheWorstError()
    {
        var rank = PredictionErrorProtocol.RankQuery(Map(0.7f), Radius, 1);
        Assert.Equal((W * W) - 9, rank.Error);
        Assert.Equal(new SearchOffset(-Radius, -Radius), rank.BestOffset);
    }

    [Fact]
    public void NaNIsTheWorstScore()
    {
        var map = Map();
        Set(map, 0, 0, 1);
        Set(map, 2, 2, float.NaN);
        Set(map, -2, 3, float.NaN);
        Assert.Equal(0, PredictionErrorProtocol.RankQuery(map, Radius, 1).Error);

        // NaN everywhere in the true region: worst error, whatever the outside holds.
        var inside = Map(1);
        for (var dy = -1; dy <= 1; dy++)
        {
            for (var dx = -1; dx <= 1; dx++)
            {
                Set(inside, dx, dy, float.NaN);
            }
        }

        var rank = PredictionErrorProtocol.RankQuery(inside, Radius, 1);
        Assert.Equal((W * W) - 9, rank.Error);
        Assert.True(float.IsNaN(rank.TrueRegionScore));
        Assert.Equal(1, rank.BestScore);

        var allNaN = PredictionErrorProtocol.RankQuery(Map(float.NaN), Radius, 1);
        Assert.Equal((W * W) - 9, allNaN.Error);
        Assert.True(float.IsNaN(allNaN.BestScore));
    }

    [Fact]
    public void WrongMapLengthIsRejected()
    {
        Assert.Throws<ArgumentException>(() => PredictionErrorProtocol.RankQuery(new float[48], Radius, 1));
    }
}
