using DeepSim.Imaging;
using DeepSim.Learning;
using Xunit;

namespace DeepSim.Tests.Learning;

/// <summary>
/// The unsupervised pre-training of the two-branch CNN (<see cref="FeatureTrainingOptions.PretrainSteps"/>,
/// <see cref="ConvAutoencoderPretrainer"/>) on self-made data: the denoising reconstruction error falls in 2D and 3D,
/// the result is seeded, the pre-trained weights are where the supervised training starts, the options are checked,
/// and Ctrl+C stops it.
/// </summary>
public sealed class ConvPretrainingTests
{
    /// <summary>The 2D test configuration (cosine only, as <see cref="FeatureSimilarityTests.Tiny"/>) with 40 pre-training steps.</summary>
    private static readonly FeatureTrainingOptions Tiny = FeatureSimilarityTests.Tiny with { PretrainSteps = 40, ProgressEverySteps = 5 };

    [Fact]
    public void ReconstructionErrorFallsAndIsSeeded()
    {
        var images = Images(FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 11));
        var (fixedInit, movingInit) = InitialBranches(Tiny);
        var a = ConvAutoencoderPretrainer.Pretrain(images, fixedInit, movingInit, Tiny, null, default);
        Assert.Equal(Tiny.PretrainSteps, a.Losses.Length);
        Assert.All(a.Losses, l => Assert.True(double.IsFinite(l) && l > 0));
        // Each step sees new crops and masks, so compare means over windows of steps: the error must fall clearly.
        var first = a.Losses.Take(8).Average();
        var last = a.Losses.TakeLast(8).Average();
        Assert.True(last < 0.6 * first, $"The reconstruction error fell only from {first:G4} to {last:G4}.");
        // The initial layers are not changed; the returned ones are.
        Assert.Equal(InitialBranches(Tiny).Fixed[0].Weights, fixedInit[0].Weights);
        Assert.NotEqual(fixedInit[0].Weights, a.Fixed[0].Weights);
        Assert.NotEqual(movingInit[^1].Weights, a.Moving[^1].Weights);

        var b = ConvAutoencoderPretrainer.Pretrain(images, fixedInit, movingInit, Tiny, null, default);
        Assert.Equal(a.Losses, b.Losses);
        for (var i = 0; i < a.Fixed.Length; i++)
        {
            Assert.Equal(a.Fixed[i].Weights, b.Fixed[i].Weights);
            Assert.Equal(a.Moving[i].Bias, b.Moving[i].Bias);
        }

        var other = ConvAutoencoderPretrainer.Pretrain(images, fixedInit, movingInit, Tiny with { Seed = Tiny.Seed + 1 }, null, default);
        Assert.NotEqual(a.Losses, other.Losses);
    }

    [Fact]
    public void ReconstructionErrorFallsIn3D()
    {
        var options = FeatureTrainingOptions.Volumetric with
        {
            Channels = 8,
            FeatureDimension = 8,
            CropsPerBatch = 2,
            CropSize = 15,
            QueriesPerCrop = 8,
            Seed = 5,
            PretrainSteps = 80,
        };
        var images = Images(FeatureSimilarity3DTests.SyntheticVolumes(24, seed: 12));
        var (fixedInit, movingInit) = InitialBranches(options);
        var result = ConvAutoencoderPretrainer.Pretrain(images, fixedInit, movingInit, options, null, default);
        Assert.Equal(3, result.Fixed[0].Dimensions);
        Assert.Equal(fixedInit[0].WeightShape, result.Fixed[0].WeightShape);
        var first = result.Losses.Take(10).Average();
        var last = result.Losses.TakeLast(10).Average();
        Assert.True(last < 0.8 * first, $"The 3D reconstruction error fell only from {first:G4} to {last:G4}.");
    }

    [Fact]
    public void SupervisedTrainingStartsFromThePretrainedWeights()
    {
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 13);
        // One supervised Adam step moves every weight by at most about the learning rate.
        var options = Tiny with { Epochs = 1, StepsPerEpoch = 1, LearningRate = 1e-3 };
        var (fixedInit, movingInit) = InitialBranches(options);
        var expected = ConvAutoencoderPretrainer.Pretrain(Images(pair), fixedInit, movingInit, options, null, default);
        var pretrained = FeatureSimilarityTrainer.Train([pair], options);
        var plain = FeatureSimilarityTrainer.Train([pair], options with { PretrainSteps = 0 });
        for (var i = 0; i < expected.Fixed.Length; i++)
        {
            Assert.True(MaxDifference(expected.Fixed[i].Weights, pretrained.FixedLayers[i].Weights) <= 1.01 * options.LearningRate);
            Assert.True(MaxDifference(expected.Moving[i].Weights, pretrained.MovingLayers[i].Weights) <= 1.01 * options.LearningRate);
            // Without pre-training the same seed starts from the random initialisation, which pre-training moved far.
            Assert.True(MaxDifference(fixedInit[i].Weights, plain.FixedLayers[i].Weights) <= 1.01 * options.LearningRate);
            Assert.True(MaxDifference(fixedInit[i].Weights, expected.Fixed[i].Weights) > 10 * options.LearningRate);
        }

        Assert.Equal(40, pretrained.Options.PretrainSteps);
        Assert.Equal(0, plain.Options.PretrainSteps);
    }

    [Fact]
    public void OptionsAreChecked()
    {
        Assert.Equal(0, new FeatureTrainingOptions().PretrainSteps);
        Assert.Equal(nameof(FeatureTrainingOptions.PretrainSteps), Assert.Throws<ArgumentException>(() => (Tiny with { PretrainSteps = -1 }).Validate()).ParamName);
        Assert.Equal(nameof(FeatureTrainingOptions.PretrainMaskFraction), Assert.Throws<ArgumentException>(() => (Tiny with { PretrainMaskFraction = 1 }).Validate()).ParamName);
        Assert.Equal(nameof(FeatureTrainingOptions.PretrainMaskFraction), Assert.Throws<ArgumentException>(() => (Tiny with { PretrainMaskFraction = -0.1 }).Validate()).ParamName);
        (Tiny with { PretrainMaskFraction = 0 }).Validate();
    }

    [Fact]
    public void ReportsProgressAndStopsOnCancellation()
    {
        using var cancel = new CancellationTokenSource();
        var stages = new List<TrainingProgress>();
        var progress = new InlineProgress(p =>
        {
            stages.Add(p);
            cancel.Cancel();
        });
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 14);
        Assert.Throws<OperationCanceledException>(() => FeatureSimilarityTrainer.Train([pair], Tiny, progress, cancel.Token));
        var report = Assert.Single(stages);
        Assert.Equal(FeatureSimilarityTrainer.PretrainingStage, report.Stage);
        Assert.Equal(Tiny.ProgressEverySteps, report.Batch);
        Assert.Equal(Tiny.PretrainSteps, report.TotalBatches);
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    /// <summary>The trainer's images of a pair: both range-scaled, as it prepares them.</summary>
    private static List<(float[] Fixed, float[] Moving, int SizeX, int SizeY, int SizeZ)> Images(ImagePair pair) =>
        [(FeatureSimilarityTrainer.Scaled(pair.Fixed), FeatureSimilarityTrainer.Scaled(pair.Moving), pair.Fixed.SizeX, pair.Fixed.SizeY, pair.Fixed.SizeZ)];

    /// <summary>The trainer's initial branches for the options' seed (the first two draws of its generator).</summary>
    private static (ConvLayer[] Fixed, ConvLayer[] Moving) InitialBranches(FeatureTrainingOptions options)
    {
        var rng = new Random(options.Seed);
        var dilations = ConvLayer.DilationsFor(options.NetworkField);
        var f = FeatureSimilarityTrainer.InitialBranch(dilations, options, rng);
        return (f, FeatureSimilarityTrainer.InitialBranch(dilations, options, rng));
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
