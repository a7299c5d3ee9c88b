using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Registration;
using DeepSim.Tests.Learning;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace DeepSim.Tests.Registration;

/// <summary>
/// The two-branch CNN (<see cref="FeatureSimilarityModel"/>) as a registration metric, on self-made multimodal images:
/// its value and gradient against finite differences, a registration recovering a known motion, and the errors.
/// </summary>
public sealed class FeatureRegistrationMetricTests
{
    private static readonly Lazy<(ImagePair Pair, FeatureSimilarityModel Model)> Trained = new(() =>
    {
        // The LCC-anchored default, tiny: a few seconds.
        var pair = FeatureSimilarityTests.SyntheticPair(64, 64, 1, seed: 11);
        var model = FeatureSimilarityTrainer.Train([pair], FeatureSimilarityTests.Tiny with { Anchor = FeatureScoreAnchor.Lcc, Epochs = 2 });
        return (pair, model);
    });

    private static readonly Lazy<(ImagePair Pair, FeatureSimilarityModel Model)> Trained3D = new(() =>
    {
        // The volumetric CNN (cubic patches), tiny: a few seconds.
        var pair = FeatureSimilarity3DTests.SyntheticVolumes(24, seed: 4);
        var options = FeatureTrainingOptions.Volumetric with { Channels = 8, FeatureDimension = 8, Epochs = 1, StepsPerEpoch = 2, CropsPerBatch = 2, CropSize = 15, QueriesPerCrop = 8, Seed = 5 };
        return (pair, FeatureSimilarityTrainer.Train([pair], options, name: "cnn3d"));
    });

    [Theory]
    [InlineData(RegistrationTransformKind.Translation, 2)]
    [InlineData(RegistrationTransformKind.Rigid, 2)]
    [InlineData(RegistrationTransformKind.Translation, 3)]
    public void ValueAndGradientAgreeWithFiniteDifferences(RegistrationTransformKind kind, int dimension)
    {
        var (pair, model) = dimension == 2 ? Trained.Value : Trained3D.Value;
        Assert.Equal(dimension, ((IFeatureMapModel)model).FeatureMapDimension);
        Assert.True(model.AnchorWeight > 0, "the anchored model should carry an LCC weight");
        LinearTransform truth = dimension == 2
            ? new Euler2DTransform(4 * Math.PI / 180, [2.3, -1.6], ImageRegistration.Center(pair.Fixed))
            : new TranslationTransform([1.3, -0.6, 0.8]);
        var moving = RegistrationTestImages.Warp(pair.Moving, truth);
        var options = new RegistrationOptions { ShrinkFactors = [dimension == 2 ? 2 : 1], SmoothingSigmas = [1.0], Sampling = RegistrationSampling.Full, Transform = kind };
        var metric = Assert.IsType<FeatureRegistrationMetric>(RegistrationMetrics.From(model, options));
        using var scope = NewDisposeScope();
        var center = ImageRegistration.Center(pair.Fixed);
        double[] start = dimension == 2 ? [0.7, -0.45] : [0.7, -0.45, 0.2];
        TransformModel transform = kind == RegistrationTransformKind.Translation
            ? new TranslationModel(dimension, start)
            : new RigidModel(dimension, start, 20);
        var level = ImageRegistration.BuildLevel(0, pair.Fixed, moving, options, center, transform, new Random(1));
        // Move away from the level's start transform T0: there every sample sits on a node of the resampled maps, where
        // bilinear interpolation has a kink (autograd takes one side, a central difference the mean).
        using (no_grad())
        {
            foreach (var p in transform.Parameters)
            {
                using var shift = 0.31.ToScalar();
                p.add_(shift);
            }
        }

        var cost = metric.Cost(level);
        var grads = autograd.grad([cost], [.. transform.Parameters]);
        var analytic = grads.SelectMany(g => g.data<float>().ToArray()).ToArray();
        var value = cost.item<float>();
        Assert.InRange(value, -1 - model.AnchorWeight - 1e-4, 1 + 1e-4);
        Assert.NotEqual(0, value);

        // Central differences of the same level (same T0 and sampling), parameter by parameter.
        const float h = 0.004f;
        var numeric = new List<double>();
        foreach (var p in transform.Parameters)
        {
            for (var i = 0; i < p.numel(); i++)
            {
                double Eval(float delta)
                {
                    using var s = NewDisposeScope();
                    using var noGrad = no_grad();
                    using var d = delta.ToScalar();
                    p.view(-1)[i].add_(d);
                    var c = metric.Cost(level).item<float>();
                    using var back = (-delta).ToScalar();
                    p.view(-1)[i].add_(back);
                    return c;
                }

                numeric.Add((Eval(h) - Eval(-h)) / (2 * h));
            }
        }

        Assert.Equal(numeric.Count, analytic.Length);
        var scale = Math.Max(1e-3, numeric.Max(Math.Abs));
        for (var i = 0; i < analytic.Length; i++)
        {
            Assert.True(Math.Abs(analytic[i] - numeric[i]) < 0.05 * scale, $"parameter {i}: autograd {analytic[i]:G5}, finite difference {numeric[i]:G5}");
        }

        // One feature-map computation for the level, whatever the number of evaluations.
        Assert.Equal(1, metric.FeatureMapComputations);
    }

    [Fact]
    public void ATinyTrainedCnnRecoversAKnownMotionOfASyntheticMultimodalPair()
    {
        var (pair, model) = Trained.Value;
        var center = ImageRegistration.Center(pair.Fixed);
        var truth = new Euler2DTransform(6 * Math.PI / 180, [3.5, -2.5], center);
        var moving = RegistrationTestImages.Warp(pair.Moving, truth);
        var options = new RegistrationOptions { ShrinkFactors = [2, 1], Iterations = [60, 60], Seed = 3 };
        var metric = Assert.IsType<FeatureRegistrationMetric>(RegistrationMetrics.From(model, options));
        var result = ImageRegistration.Register(pair.Fixed, moving, metric, options);
        Assert.Equal(model.Name, result.Metric);
        var found = Assert.IsType<Euler2DTransform>(result.Transform);
        var error = 0.0;
        foreach (var p in AlignmentCheck.ForegroundCorners(pair.Fixed))
        {
            var a = truth.TransformPoint(p);
            var b = found.TransformPoint(p);
            error = Math.Max(error, Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum()));
        }

        Assert.True(error < 0.5, $"{found} vs {truth}: {error:F3} px");
        // The networks ran once per level (the moving image resampled through the transform reached so far).
        Assert.Equal(2, metric.FeatureMapComputations);
    }

    [Fact]
    public void BadInputGivesSpecificErrors()
    {
        var (pair, model) = Trained.Value;
        var volume = RegistrationTestImages.Blobs3D(16);
        var dim = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(volume, volume, RegistrationMetrics.From(model)));
        Assert.Equal(RegistrationError.DimensionMismatch, dim.Error);
        Assert.Contains("2D patches", dim.Message, StringComparison.Ordinal);
        var dim3 = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(pair.Fixed, pair.Moving, RegistrationMetrics.From(Trained3D.Value.Model)));
        Assert.Equal(RegistrationError.DimensionMismatch, dim3.Error);
        Assert.Contains("3D patches", dim3.Message, StringComparison.Ordinal);

        // A 9x9 patch does not fit a 6x6 image.
        var tiny = new MedicalImage(new float[36], 6, 6, 1);
        var small = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(tiny, pair.Moving, RegistrationMetrics.From(model)));
        Assert.Equal(RegistrationError.PatchSizeTooLarge, small.Error);

        // A fixed mask only along the border: no sample where a patch fits.
        var border = new float[64 * 64];
        for (var x = 0; x < 64; x++)
        {
            border[x] = 1;
        }

        var options = new RegistrationOptions { ShrinkFactors = [1], Iterations = [5], FixedMask = new MedicalImage(border, 64, 64, 1) };
        var mask = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(pair.Fixed, pair.Moving, RegistrationMetrics.From(model, options), options));
        Assert.Equal(RegistrationError.PatchSizeTooLarge, mask.Error);
        Assert.Contains("border", mask.Message, StringComparison.Ordinal);
    }
}
