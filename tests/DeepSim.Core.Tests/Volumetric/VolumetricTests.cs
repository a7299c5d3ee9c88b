using DeepSim.Evaluation;
using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Volumetric;

/// <summary>
/// 3D patches and the 3D search (issue 11): cubic patch extraction, sampling, ranks over (2R+1)^3 candidates, and
/// every 3D window scorer against scoring each candidate pair, all on volumes made here.
/// </summary>
public sealed class VolumetricTests
{
    /// <summary>A volume whose voxel value is its linear index: any wrong index shows.</summary>
    private static MedicalImage IndexVolume(int sx, int sy, int sz)
    {
        var v = new float[sx * sy * sz];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = i;
        }

        return new MedicalImage(v, sx, sy, sz);
    }

    /// <summary>i.i.d. uniform noise in [0.05, 1), seeded.</summary>
    private static MedicalImage NoiseVolume(int size, int seed)
    {
        var rng = new Random(seed);
        var v = new float[size * size * size];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = 0.05f + (0.95f * (float)rng.NextDouble());
        }

        return new MedicalImage(v, size, size, size);
    }

    /// <summary>A strictly increasing, non-linear remapping of every voxel (a different "modality" with the same structure).</summary>
    private static MedicalImage Remapped(MedicalImage image) =>
        new(image.GetVoxels().Select(x => (float)Math.Sqrt(x) + (3 * x * x * x)).ToArray(), image.SizeX, image.SizeY, image.SizeZ);

    [Fact]
    public void CubicPatchHoldsTheVoxelsOfTheCubeXFastestThenYThenZ()
    {
        var image = IndexVolume(11, 9, 8);
        var patch = image.CopyCubicPatch(5, 4, 3, 5);
        Assert.Equal(125, patch.Length);
        for (var z = 0; z < 5; z++)
        {
            for (var y = 0; y < 5; y++)
            {
                for (var x = 0; x < 5; x++)
                {
                    Assert.Equal(image[5 - 2 + x, 4 - 2 + y, 3 - 2 + z], patch[x + (5 * (y + (5 * z)))]);
                }
            }
        }

        // The corner cubes touching every border fit; one voxel further does not.
        Assert.Equal(image[0, 0, 0], image.CopyCubicPatch(2, 2, 2, 5)[0]);
        Assert.Equal(image[10, 8, 7], image.CopyCubicPatch(8, 6, 5, 5)[124]);
        Assert.True(image.ContainsCubicPatch(8, 6, 5, 5));
        Assert.False(image.ContainsCubicPatch(8, 6, 6, 5));
        Assert.False(image.ContainsCubicPatch(2, 2, 1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.CopyCubicPatch(2, 2, 1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.CopyCubicPatch(9, 4, 3, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.CopyCubicPatch(5, 4, 3, 4));
        Assert.Throws<ArgumentException>(() => image.CopyCubicPatch(5, 4, 3, 5, new float[124]));
        var flat = Assert.Throws<ArgumentOutOfRangeException>(() => IndexVolume(20, 20, 1).CopyCubicPatch(10, 10, 0, 3));
        Assert.Contains("2D image", flat.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CropKeepsVoxelsAndPhysicalPositions()
    {
        var g = new ImageGeometry([2, 2, 2], [-90, 126, -72], [1, 0, 0, 0, -1, 0, 0, 0, 1]);
        var v = IndexVolume(10, 6, 5).GetVoxels();
        var image = new MedicalImage(v, 10, 6, 5, g);
        var right = image.Crop(6, 0, 0, 4, 6, 5);
        Assert.Equal(image[7, 3, 2], right[1, 3, 2]);
        Assert.Equal(image.Geometry.IndexToPhysical(7, 3, 2), right.Geometry.IndexToPhysical(1, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Crop(6, 0, 0, 5, 6, 5));
    }

    [Fact]
    public void PatchPairKnowsItsDimensionAndRefusesOtherLengths()
    {
        var r = new IntensityRange(0, 1);
        var cube = new PatchPair(new float[27], new float[27], 3, PatchLabel.Match, default, default, "f", "m", r, r);
        var square = new PatchPair(new float[9], new float[9], 3, PatchLabel.Match, default, default, "f", "m", r, r);
        Assert.Equal(3, cube.Dimension);
        Assert.Equal(2, square.Dimension);
        Assert.Throws<ArgumentException>(() => new PatchPair(new float[27], new float[9], 3, PatchLabel.Match, default, default, "f", "m", r, r));
        Assert.Throws<ArgumentException>(() => new PatchPair(new float[26], new float[26], 3, PatchLabel.Match, default, default, "f", "m", r, r));
    }

    [Fact]
    public void VolumetricSamplingGivesCubesAtTheirCentresInsideEveryBorder()
    {
        var f = NoiseVolume(16, 1);
        var m = Remapped(f);
        var options = new PatchSamplingOptions { PatchSize = 5, Count = 60, Seed = 4, Region = RegionKind.All, Dimension = 3, Negatives = NegativeSampling.Neighbourhood, NegativeRadius = 3 };
        var pairs = PatchSampler.Sample(f, m, options);
        Assert.Equal(120, pairs.Count);
        Assert.Contains(pairs, p => p.FixedCenter.Z != pairs[0].FixedCenter.Z);
        foreach (var p in pairs)
        {
            Assert.Equal(3, p.Dimension);
            Assert.Equal(f.CopyCubicPatch(p.FixedCenter.X, p.FixedCenter.Y, p.FixedCenter.Z, 5), p.FixedPatch);
            Assert.Equal(m.CopyCubicPatch(p.MovingCenter.X, p.MovingCenter.Y, p.MovingCenter.Z, 5), p.MovingPatch);
            foreach (var c in new[] { p.FixedCenter, p.MovingCenter })
            {
                Assert.InRange(c.Z, 2, 13);
                Assert.InRange(c.X, 2, 13);
            }

            var d = new[] { p.MovingCenter.X - p.FixedCenter.X, p.MovingCenter.Y - p.FixedCenter.Y, p.MovingCenter.Z - p.FixedCenter.Z }.Max(Math.Abs);
            if (p.IsMatch)
            {
                Assert.Equal(0, d);
            }
            else
            {
                Assert.InRange(d, 2, 3); // outside the 3x3x3 neighbourhood, inside the negative radius
            }
        }

        var flat = new MedicalImage(new float[400], 20, 20, 1);
        var e = Assert.Throws<PatchSamplingException>(() => PatchSampler.Sample(flat, flat, options));
        Assert.Equal(PatchSamplingError.DimensionMismatch, e.Error);
        var thin = new MedicalImage(new float[20 * 20 * 4], 20, 20, 4);
        Assert.Equal(PatchSamplingError.DimensionMismatch, Assert.Throws<PatchSamplingException>(() => PatchSampler.Sample(thin, thin, options)).Error);
    }

    [Fact]
    public void RankQueryIn3DCountsTheCubeAndItsTrueRegion()
    {
        const int r = 2;
        const int w = (2 * r) + 1;
        static int At(int dx, int dy, int dz) => ((((dz + r) * w) + dy + r) * w) + dx + r;
        var scores = new float[w * w * w];
        scores[At(0, 1, -1)] = 5;           // in the 3x3x3 true region
        scores[At(2, 0, 0)] = 9;            // two better candidates outside it
        scores[At(0, 0, 2)] = 7;
        var rank = PredictionErrorProtocol.RankQuery(scores, r, 1, dimension: 3);
        Assert.Equal(3, rank.Rank);
        Assert.Equal(new SearchOffset(2, 0, 0), rank.BestOffset);
        Assert.Equal(5, rank.TrueRegionScore);

        scores[At(1, -1, 1)] = 10;          // the best is now in the true region
        rank = PredictionErrorProtocol.RankQuery(scores, r, 1, dimension: 3);
        Assert.Equal(0, rank.Error);
        Assert.Equal(new SearchOffset(1, -1, 1), rank.BestOffset);

        // A flat window gets the worst error: every one of the 125 - 27 outside candidates ties ahead.
        Assert.Equal(98, PredictionErrorProtocol.RankQuery(new float[w * w * w], r, 1, dimension: 3).Error);
        Assert.Throws<ArgumentException>(() => PredictionErrorProtocol.RankQuery(new float[w * w], r, 1, dimension: 3));
    }

    private static readonly string[] Classical = ["NMI", "MI", "LCC", "NCC", "CorrelationRatio"];

    public static TheoryData<string> ClassicalNames => new(Classical);

    [Theory]
    [MemberData(nameof(ClassicalNames))]
    public void ClassicalCubeSearchEqualsScoringEachCandidatePair(string name)
    {
        var f = NoiseVolume(14, 2);
        var m = Remapped(NoiseVolume(14, 3));
        var metric = (ClassicalSimilarityMetric)MetricRegistry.Create(name);
        PatchCenter[] centres = [new(6, 6, 6), new(7, 6, 7), new(6, 8, 7)];
        const int radius = 2;
        const int patch = 5;
        var fast = new float[centres.Length * 125];
        var byPairs = new float[fast.Length];
        metric.ScoreSearchCubes(f, m, centres, patch, radius, fast);
        SearchWindowScoring.ScoreCubesByPairs(metric, f, m, centres, patch, radius, byPairs);
        Assert.Equal(byPairs, fast);

        // And the layout: candidate (dx, dy, dz) of query 1 is the pair of the two cubes at those centres.
        var c = centres[1];
        var direct = metric.ScorePatches(f.CopyCubicPatch(c.X, c.Y, c.Z, patch), m.CopyCubicPatch(c.X + 1, c.Y - 2, c.Z + 2, patch), patch, IntensityRange.Of(f), IntensityRange.Of(m));
        Assert.Equal((float)direct, fast[125 + ((((2 + 2) * 5) + (-2 + 2)) * 5) + 1 + 2]);
        Assert.True(fast.Distinct().Count() > 100, "scores are nearly constant: the comparison would prove little");
    }

    [Fact]
    public void LccOnCubesAveragesThreeDimensionalWindows()
    {
        // A cube whose z-slices are each constant: every 2D (in-plane) window would be flat, but 3D windows see the
        // z-ramp; with the moving cube the same ramp, every 3D window correlates perfectly.
        var ramp = new float[7 * 7 * 7];
        for (var i = 0; i < ramp.Length; i++)
        {
            ramp[i] = i / 49;
        }

        var lcc = new LocalCrossCorrelationMetric();
        var r = new IntensityRange(0, 6);
        Assert.Equal(1.0, lcc.ScorePatches(ramp, ramp, 7, r, r), 12);
        Assert.Equal(0.0, lcc.ScorePatches(ramp, new float[ramp.Length], 7, r, r));
    }

    [Fact]
    public void EveryClassicalMetricFindsTheTruePositionOfAMonotoneRemappedVolume()
    {
        var f = NoiseVolume(22, 5);
        var m = Remapped(f);
        var options = new PredictionErrorOptions { Count = 8, SearchRadius = 3, Tolerance = 1, PatchSize = 5, Seed = 2, Dimension = 3 };
        var mask = Enumerable.Repeat(true, 22 * 22 * 22).ToArray();
        var centres = PredictionErrorProtocol.SelectCenters(mask, 22, 22, options, 22);
        Assert.All(centres, c => Assert.InRange(c.Z, options.Margin, 21 - options.Margin));
        var metrics = Classical.Select(name => MetricRegistry.Create(name)).ToList();
        var results = PredictionErrorProtocol.Run(metrics, f, m, centres, options);
        Assert.Equal(5, results.Count);
        foreach (var result in results)
        {
            Assert.Equal(8, result.Count);
            Assert.True(result.HitRate == 1, $"{result.Metric}: {result}");
            Assert.All(result.Errors, e => Assert.True(e.BestOffset.ChebyshevLength <= 1, $"{result.Metric} best offset {e.BestOffset}"));
        }

        // Against an unrelated volume nothing can be found: chance level, where the best of the 27 true-region
        // candidates ranks about 316 / 28 = 11 on average and hits 27 / 343 = 8 % of the time.
        var unrelated = PredictionErrorProtocol.Run([MetricRegistry.Create("NMI")], f, NoiseVolume(22, 6), centres, options);
        Assert.True(unrelated[0].MeanError > 3 && unrelated[0].HitRate < 0.5, unrelated[0].ToString());
    }

    [Fact]
    public void ModelOfCubicPatchesScoresSearchCubesExactlyAsEachCandidatePair()
    {
        var f = NoiseVolume(12, 7);
        var m = Remapped(NoiseVolume(12, 8));
        var pairs = PatchSampler.Sample(f, m, new PatchSamplingOptions { PatchSize = 3, Count = 40, Seed = 1, Region = RegionKind.All, Dimension = 3 });
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { HiddenLayerSizes = [16, 8], Epochs = 2, Seed = 3, Normalization = InputNormalization.PatchZScore, Activation = ActivationKind.Relu });
        Assert.Equal(3, model.PatchDimension);
        Assert.Equal(2 * 27, model.LayerSizes[0]);

        PatchCenter[] centres = [new(5, 5, 5), new(6, 5, 6)];
        const int radius = 2;
        var cubes = new float[centres.Length * 125];
        model.ScoreSearchCubes(f, m, centres, 3, radius, cubes);
        var one = new double[1];
        var range = (IntensityRange.Of(f), IntensityRange.Of(m));
        for (var q = 0; q < centres.Length; q++)
        {
            var c = centres[q];
            var k = 0;
            for (var dz = -radius; dz <= radius; dz++)
            {
                for (var dy = -radius; dy <= radius; dy++)
                {
                    for (var dx = -radius; dx <= radius; dx++, k++)
                    {
                        var pair = new PatchPair(f.CopyCubicPatch(c.X, c.Y, c.Z, 3), m.CopyCubicPatch(c.X + dx, c.Y + dy, c.Z + dz, 3), 3, PatchLabel.NonMatch, c, c, "f", "m", range.Item1, range.Item2);
                        model.ScorePairs([pair], one);
                        Assert.True(Math.Abs(one[0] - cubes[(q * 125) + k]) <= 1e-5 * Math.Max(1, Math.Abs(one[0])), $"query {q} offset ({dx},{dy},{dz}): window {cubes[(q * 125) + k]} vs pair {one[0]}");
                    }
                }
            }
        }

        Assert.True(cubes.Distinct().Count() > 100, "scores are nearly constant: the comparison would prove little");

        // A cube model refuses the in-plane search and square pairs; a square model refuses cubes; the protocol says why.
        Assert.Throws<PatchSizeMismatchException>(() => model.ScoreSearchWindows(f, m, centres, 3, radius, new float[50]));
        var square = new PatchPair(new float[9], new float[9], 3, PatchLabel.Match, default, default, "f", "m", range.Item1, range.Item2);
        Assert.Throws<PatchSizeMismatchException>(() => model.ScorePairs([square], one));
        var e = Assert.Throws<ArgumentException>(() => PredictionErrorProtocol.Run([model], f, m, centres, new PredictionErrorOptions { Count = 2, SearchRadius = 2, PatchSize = 3 }));
        Assert.Contains("-Volumetric", e.Message, StringComparison.Ordinal);

        // The dimension follows from the layer widths, so a model file keeps it without a new field.
        var path = Path.Combine(Path.GetTempPath(), $"deepsim-3d-{Guid.NewGuid():N}.dsim");
        try
        {
            ModelFile.Save(model, path);
            var loaded = ModelFile.LoadSimilarityModel(path);
            Assert.Equal(3, loaded.PatchDimension);
            var again = new float[cubes.Length];
            loaded.ScoreSearchCubes(f, m, centres, 3, radius, again);
            Assert.Equal(cubes, again);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NonFiniteVoxelsGiveNaNOnlyToTheCandidatesTheyTouchIn3D()
    {
        var f = NoiseVolume(14, 9);
        var voxels = Remapped(f).GetVoxels();
        voxels[9 + (14 * (6 + (14 * 6)))] = float.NaN; // voxel (9, 6, 6)
        var m = new MedicalImage(voxels, 14, 14, 14);
        var scores = new float[125];
        NonFiniteScoring.ScoreSearchCubes(MetricRegistry.Create("NCC"), f, m, [new PatchCenter(6, 6, 6)], 3, 2, scores);
        var k = 0;
        for (var dz = -2; dz <= 2; dz++)
        {
            for (var dy = -2; dy <= 2; dy++)
            {
                for (var dx = -2; dx <= 2; dx++, k++)
                {
                    // The moving cube at (6 + dx, 6 + dy, 6 + dz) of side 3 holds (9, 6, 6) when dx >= 2 and |dy|, |dz| <= 1.
                    Assert.Equal(dx >= 2 && Math.Abs(dy) <= 1 && Math.Abs(dz) <= 1, float.IsNaN(scores[k]));
                }
            }
        }
    }
}
