using DeepSim.Learning;
using DeepSim.Patches;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The shared-feature-map search-window path (layer 1's moving half computed once per slice over the queries' bounding
/// box) against the per-candidate reference, on real CT/MR head slices.
/// </summary>
public sealed class SearchWindowScoringTests(ITestOutputHelper output)
{
    private const int Patch = 17;

    [SkippableTheory]
    [InlineData(InputNormalization.ImageRange, ActivationKind.Sigmoid)]
    [InlineData(InputNormalization.PatchZScore, ActivationKind.Relu)]
    public void SharedFeatureMapEqualsReferenceAtSeveralRadiiForNearAndFarQueries(InputNormalization normalization, ActivationKind activation)
    {
        var ct = TestPatchSampler.LoadPng(TestData.Require("ct-mr-head/CT/2004.png"));
        var mr = TestPatchSampler.LoadPng(TestData.Require("ct-mr-head/MR/2004.png"));
        var pairs = TestPatchSampler.Sample(ct, mr, 150, 150, Patch, seed: 61);
        var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = 2, Seed = 3, Normalization = normalization, Activation = activation });

        // Near: neighbours 1 px apart (overlapping windows); far: opposite corners of the head (one large bounding box).
        foreach (var (radius, centres) in new (int, PatchCenter[])[]
        {
            (2, [new(128, 128), new(129, 128), new(128, 129), new(60, 70)]),
            (9, [new(100, 90), new(101, 91), new(170, 180), new(60, 190)]),
            (40, [new(128, 110), new(130, 112), new(90, 150), new(170, 90)]),
        })
        {
            var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
            var shared = new float[centres.Length * positions];
            var reference = new float[shared.Length];
            var perQuery = new float[shared.Length];
            model.ScoringMemoryBudgetBytes = SimilarityModel.DefaultScoringMemoryBudgetBytes;
            model.ScoreSearchWindows(ct, mr, centres, Patch, radius, shared);
            model.ScoreSearchWindowsReference(ct, mr, centres, Patch, radius, reference);
            model.ScoringMemoryBudgetBytes = 1; // every query its own feature map
            model.ScoreSearchWindows(ct, mr, centres, Patch, radius, perQuery);

            var scale = Math.Max(1, reference.Max(Math.Abs));
            var diffShared = shared.Zip(reference, (x, y) => Math.Abs(x - y)).Max();
            var diffPerQuery = perQuery.Zip(reference, (x, y) => Math.Abs(x - y)).Max();
            output.WriteLine($"{normalization}/{activation} R={radius}: max |shared - reference| = {diffShared:G3}, |per-query - reference| = {diffPerQuery:G3}, scale {scale:G3}");
            Assert.True(reference.Distinct().Count() > positions, "scores are constant: the comparison would prove nothing");
            Assert.True(diffShared <= 1e-4 * scale, $"R={radius}: shared feature map differs from the reference by {diffShared} (scale {scale})");
            Assert.True(diffPerQuery <= 1e-4 * scale, $"R={radius}: per-query feature maps differ from the reference by {diffPerQuery} (scale {scale})");
        }
    }

    [SkippableFact]
    public void ExecutedFlopsShrinkWhenWindowsOverlapAndNeverExceedPerQueryCost()
    {
        var ct = TestPatchSampler.LoadPng(TestData.Require("ct-mr-head/CT/2004.png"));
        var mr = TestPatchSampler.LoadPng(TestData.Require("ct-mr-head/MR/2004.png"));
        var model = SimilarityTrainer.Train(TestPatchSampler.Sample(ct, mr, 20, 20, Patch, seed: 62), new SimilarityTrainingOptions { Epochs = 1 });
        const int radius = 40;
        var centres = Enumerable.Range(0, 300).Select(i => new PatchCenter(70 + (i % 20 * 6), 70 + (i / 20 * 8))).ToList();
        var shared = SearchWindowFlops.Executed(model, centres, radius);
        var perQuery = SearchWindowFlops.PerQueryWindows(model, 300, radius);
        var naive = SearchWindowFlops.Naive(model, 300, radius);
        output.WriteLine($"executed {shared / 1e9:F1} GFLOP, per-query windows {perQuery / 1e9:F1}, naive {naive / 1e9:F1}");

        // Layer 1's moving half over the union box (81 + 19*6 - 1 - ... positions) once, instead of 300 x 6,561 positions.
        var boxW = (19 * 6) + 81;
        var boxH = (14 * 8) + 81;
        long positions = 81 * 81;
        var expected = (2L * 578 * 289 * boxW * boxH) + (300L * 2 * 578 * 289) + (300L * 2 * positions * ((578L * 300) + (300L * 100) + 100));
        Assert.Equal(expected, shared);
        Assert.True(shared < perQuery && perQuery < naive);
        model.ScoringMemoryBudgetBytes = 1;
        Assert.Equal(perQuery, SearchWindowFlops.Executed(model, centres, radius));
    }
}
