using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Registration;
using Xunit;
using Tensor = TorchSharp.torch.Tensor;

namespace DeepSim.Tests.Registration;

public class RegistrationEngineTests
{
    private static readonly RegistrationOptions Fast = new() { ShrinkFactors = [2, 1], Iterations = [80, 60], Seed = 7 };

    private static double MaxError(IImageTransform expected, IImageTransform actual, MedicalImage image)
    {
        var max = 0.0;
        foreach (var p in AlignmentCheck.ForegroundCorners(image))
        {
            var a = expected.TransformPoint(p);
            var b = actual.TransformPoint(p);
            max = Math.Max(max, Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum()));
        }

        return max;
    }

    [Theory]
    [InlineData("MI")]
    [InlineData("NCC")]
    [InlineData("LCC")]
    public void RecoversAKnownRigidTransformOfASyntheticImage(string metric)
    {
        var fixedImage = RegistrationTestImages.Blobs2D();
        var center = ImageRegistration.Center(fixedImage);
        var truth = new Euler2DTransform(8 * Math.PI / 180, [4.5, -3.25], center);
        // MI sees a second "modality": intensities inverted.
        var moving = RegistrationTestImages.Warp(fixedImage, truth, metric == "MI" ? v => 120 - v : null);
        var result = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create(metric), Fast);
        var found = Assert.IsType<Euler2DTransform>(result.Transform);
        Assert.InRange(found.AngleDegrees, 7.7, 8.3);
        Assert.True(MaxError(truth, found, fixedImage) < 0.5, $"{metric}: {found} vs {truth}, error {MaxError(truth, found, fixedImage):F3} px");
        Assert.Equal(140, result.Iterations);
        Assert.True(result.Trace[^1].MetricValue < result.Trace[0].MetricValue);
    }

    [Fact]
    public void SameSeedGivesTheSameTransformAndAffineRecoversAScaling()
    {
        var fixedImage = RegistrationTestImages.Blobs2D();
        var truth = new AffineTransform([1.06, 0.03, -0.02, 0.96], [2, -1], ImageRegistration.Center(fixedImage));
        var moving = RegistrationTestImages.Warp(fixedImage, truth);
        var options = Fast with { Transform = RegistrationTransformKind.Affine, Iterations = [150, 100] };
        var a = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("NCC"), options);
        var b = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("NCC"), options);
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.True(MaxError(truth, a.Transform, fixedImage) < 0.6, $"affine error {MaxError(truth, a.Transform, fixedImage):F3}");
    }

    [Fact]
    public void RecoversA3DTranslationAndRotation()
    {
        var fixedImage = RegistrationTestImages.Blobs3D();
        var truth = new Euler3DTransform([0.05, -0.04, 0.08], [1.5, -2, 1], ImageRegistration.Center(fixedImage));
        var moving = RegistrationTestImages.Warp(fixedImage, truth);
        var result = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("NCC"), Fast);
        Assert.IsType<Euler3DTransform>(result.Transform);
        Assert.True(MaxError(truth, result.Transform, fixedImage) < 0.5, $"3D error {MaxError(truth, result.Transform, fixedImage):F3}");
    }

    [Fact]
    public void BSplineReducesASmoothDeformationWithoutFolding()
    {
        var fixedImage = RegistrationTestImages.Blobs2D(64);
        var grid = BSplineTransform.ForImage(fixedImage, 16);
        var rng = new Random(2);
        var truth = grid.WithCoefficients(grid.Parameters.Select(_ => (rng.NextDouble() - 0.5) * 4).ToArray());
        var v = new float[fixedImage.VoxelCount];
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                // moving(T(x)) = fixed(x) approximately: moving(y) = fixed(y - d(y)) for small d.
                var q = truth.TransformPoint([x, y]);
                var dx = (2 * x) - q[0];
                var dy = (2 * y) - q[1];
                v[x + (64 * y)] = Sample(fixedImage, dx, dy);
            }
        }

        var moving = new MedicalImage(v, 64, 64, 1);
        var options = Fast with { Transform = RegistrationTransformKind.BSpline, GridSpacingMm = 16, Sampling = RegistrationSampling.Full, Iterations = [60, 60] };
        var result = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("MSE"), options);
        var spline = Assert.IsType<BSplineTransform>(result.Transform);
        double before = 0, after = 0;
        var n = 0;
        for (var y = 16; y < 48; y += 2)
        {
            for (var x = 16; x < 48; x += 2)
            {
                var t = truth.TransformPoint([x, y]);
                var s = spline.TransformPoint([x, y]);
                before += Math.Sqrt(((t[0] - x) * (t[0] - x)) + ((t[1] - y) * (t[1] - y)));
                after += Math.Sqrt(((t[0] - s[0]) * (t[0] - s[0])) + ((t[1] - s[1]) * (t[1] - s[1])));
                n++;
            }
        }

        Assert.True(after < 0.5 * before, $"mean displacement error {after / n:F3} px from {before / n:F3} px");
        Assert.NotNull(result.MinJacobianDeterminant);
        Assert.True(result.MinJacobianDeterminant > 0);
    }

    [Fact]
    public void BSplineRefinesTheGridCoarseToFineAndRecoversALargeKnownField()
    {
        // A smooth random field on a 16 mm grid (2.2 px on average), on a 96 px image; MI (the moving intensities inverted, a
        // second "modality"), the B-spline defaults except the pyramid and the iterations: three levels (shrink 4, 2, 1;
        // the B-spline default is 2, 1 since the sixth session, which on this image recovers a little under half the
        // field with 100 and 150 iterations), the grid starts at 64 mm and is refined to 32 and 16 mm (exact
        // subdivision), the normalised-gradient optimiser, the bending energy.
        var fixedImage = RegistrationTestImages.Blobs2D(96);
        var grid = BSplineTransform.ForImage(fixedImage, 16);
        var rng = new Random(4);
        var truth = grid.WithCoefficients(grid.Parameters.Select(_ => (rng.NextDouble() - 0.5) * 12).ToArray());
        var v = new float[fixedImage.VoxelCount];
        for (var y = 0; y < 96; y++)
        {
            for (var x = 0; x < 96; x++)
            {
                // moving(y) = fixed(T^-1(y)), T^-1 by fixed-point iteration: x = y - d(x).
                double px = x, py = y;
                for (var k = 0; k < 50; k++)
                {
                    var q = truth.TransformPoint([px, py]);
                    px = x - (q[0] - px);
                    py = y - (q[1] - py);
                }

                v[x + (96 * y)] = 120 - Sample(fixedImage, px, py);
            }
        }

        var moving = new MedicalImage(v, 96, 96, 1);
        var options = new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = [4, 2, 1], GridSpacingMm = 16, Iterations = [100, 100, 150], Seed = 3 };
        Assert.Equal(RegistrationOptimizer.NormalizedGradient, options.OptimizerInUse);
        Assert.Equal(4, options.GridSpacingMultipleOf(0));
        var result = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("MI"), options);
        var spline = Assert.IsType<BSplineTransform>(result.Transform);
        Assert.Equal([16.0, 16.0], spline.GridSpacing);
        double before = 0, after = 0;
        var n = 0;
        for (var y = 16; y < 80; y += 2)
        {
            for (var x = 16; x < 80; x += 2)
            {
                var t = truth.TransformPoint([x, y]);
                var s = spline.TransformPoint([x, y]);
                before += Math.Sqrt(((t[0] - x) * (t[0] - x)) + ((t[1] - y) * (t[1] - y)));
                after += Math.Sqrt(((t[0] - s[0]) * (t[0] - s[0])) + ((t[1] - s[1]) * (t[1] - s[1])));
                n++;
            }
        }

        Assert.True(after < 0.5 * before, $"mean displacement error {after / n:F3} px from {before / n:F3} px");
        Assert.True(result.MinJacobianDeterminant > 0, $"folds: minimum Jacobian {result.MinJacobianDeterminant}");
    }

    [Fact]
    public void NormalizedGradientStepsFollowTheGradientWhereAdamEqualisesThem()
    {
        DeepSim.Runtime.TorchRuntime.EnsureInitialized();
        using var scope = TorchSharp.torch.NewDisposeScope();
        Tensor Run(RegistrationOptimizer kind)
        {
            var p = TorchSharp.torch.zeros(4).requires_grad_(true);
            using var rule = new StepRule(kind, [p]);
            var g = TorchSharp.torch.tensor(new float[] { 4, 2, 1, 0 });
            rule.Step([g], 0.5);
            return p.detach();
        }

        var adam = Run(RegistrationOptimizer.Adam).data<float>().ToArray();
        var normalized = Run(RegistrationOptimizer.NormalizedGradient).data<float>().ToArray();
        // Adam: every parameter with a gradient moves by the step (0.5), whatever the gradient's size.
        Assert.Equal(-0.5, adam[0], 3);
        Assert.Equal(-0.5, adam[2], 3);
        // Normalised: the step is the gradient over its root mean square (sqrt(21 / 4)) times 0.5, so it keeps the ratios.
        var rms = Math.Sqrt(21.0 / 4);
        Assert.Equal(-0.5 * 4 / rms, normalized[0], 3);
        Assert.Equal(-0.5 * 1 / rms, normalized[2], 3);
        Assert.Equal(0, normalized[3], 6);
    }

    [Fact]
    public void AGridScheduleThatDoesNotHalveIsRejected()
    {
        var options = new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, GridSpacingSchedule = [3, 1] };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("halve", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, new RegistrationOptions().GridSpacingMultipleOf(0));
        // B-spline's own pyramid (2, 1) unless the shrink factors are set; null restores the transform's default.
        Assert.Equal([4, 2, 1], new RegistrationOptions().ShrinkFactors);
        Assert.Equal([2, 1], new RegistrationOptions { Transform = RegistrationTransformKind.BSpline }.ShrinkFactors);
        Assert.Equal(2, new RegistrationOptions { Transform = RegistrationTransformKind.BSpline }.GridSpacingMultipleOf(0));
        Assert.Equal([4, 2, 1], new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = [4, 2, 1] }.ShrinkFactors);
        Assert.Equal([2, 1], new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = null }.ShrinkFactors);
        Assert.Equal(4, new RegistrationOptions { Transform = RegistrationTransformKind.BSpline, ShrinkFactors = [4, 2, 1] }.GridSpacingMultipleOf(0));
        Assert.Equal(100, new RegistrationOptions { Transform = RegistrationTransformKind.BSpline }.IterationsOf(1));
        Assert.Equal(150, new RegistrationOptions().IterationsOf(2));
        Assert.Equal(0.5, new RegistrationOptions().SigmaOf(2));
        Assert.Equal(2, new RegistrationOptions().SigmaOf(0));
    }

    [Fact]
    public void ThreeDAffineDefaultsToMoreBinsAndThreeDRigidAndAffineToASmallerFinalStep()
    {
        var rigid = new RegistrationOptions();
        var affine = new RegistrationOptions { Transform = RegistrationTransformKind.Affine };
        var spline = new RegistrationOptions { Transform = RegistrationTransformKind.BSpline };
        var translation = new RegistrationOptions { Transform = RegistrationTransformKind.Translation };
        Assert.Equal((32, 0.001), (rigid.HistogramBinsFor(3), rigid.FinalLearningRateFractionFor(3)));
        Assert.Equal((48, 0.001), (affine.HistogramBinsFor(3), affine.FinalLearningRateFractionFor(3)));
        Assert.Equal((32, 0.02), (rigid.HistogramBinsFor(2), rigid.FinalLearningRateFractionFor(2)));
        Assert.Equal((32, 0.02), (affine.HistogramBinsFor(2), affine.FinalLearningRateFractionFor(2)));
        Assert.Equal((32, 0.02), (spline.HistogramBinsFor(3), spline.FinalLearningRateFractionFor(3)));
        Assert.Equal((32, 0.02), (translation.HistogramBinsFor(3), translation.FinalLearningRateFractionFor(3)));
        var set = affine with { HistogramBins = 16, FinalLearningRateFraction = 0.05 };
        Assert.Equal((16, 0.05), (set.HistogramBinsFor(3), set.FinalLearningRateFractionFor(3)));
        Assert.Throws<ArgumentException>((affine with { FinalLearningRateFraction = 0 }).Validate);
        Assert.Throws<ArgumentException>((affine with { HistogramBins = 4 }).Validate);
    }

    [Fact]
    public void ALearnedModelDrivesTheRegistration()
    {
        // A hand-built "learned" network scoring -L1(fixed, moving) over 9x9 patches: hidden ReLU units relu(f - m),
        // relu(m - f), output logits (sum, 0), so score = logit(match) - logit(non-match) = -sum |f - m|.
        const int p = 9;
        const int n = p * p;
        var w1 = new float[2 * n * 2 * n];
        for (var k = 0; k < n; k++)
        {
            w1[(k * 2 * n) + k] = 1;
            w1[(k * 2 * n) + n + k] = -1;
            w1[((n + k) * 2 * n) + k] = -1;
            w1[((n + k) * 2 * n) + n + k] = 1;
        }

        var w2 = new float[2 * 2 * n];
        for (var k = 0; k < 2 * n; k++)
        {
            w2[k] = 1;
        }

        var model = new SimilarityModel(
            "L1Net", p, InputNormalization.ImageRange, ActivationKind.Relu,
            [new DenseLayer(2 * n, 2 * n, w1, new float[2 * n]), new DenseLayer(2, 2 * n, w2, new float[2])],
            new SimilarityTrainingOptions(), [], 0, false, 0, DateTimeOffset.UnixEpoch);
        var fixedImage = RegistrationTestImages.Blobs2D();
        var truth = new TranslationTransform([3.5, -2.5]);
        var moving = RegistrationTestImages.Warp(fixedImage, truth);
        var options = Fast with { Transform = RegistrationTransformKind.Translation, FixedMask = null };
        var result = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.From(model, options), options);
        Assert.Equal("L1Net", result.Metric);
        Assert.True(MaxError(truth, result.Transform, fixedImage) < 0.5, $"learned metric error {MaxError(truth, result.Transform, fixedImage):F3}");

        // The same model's 9x9 patches do not fit a coarsest level of 96 / 16 = 6 voxels.
        var e = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.From(model), Fast with { ShrinkFactors = [16, 1] }));
        Assert.Equal(RegistrationError.PatchSizeTooLarge, e.Error);
    }

    [Fact]
    public void BadInputGivesSpecificErrors()
    {
        var image2D = RegistrationTestImages.Blobs2D(32);
        var image3D = RegistrationTestImages.Blobs3D(16);
        var dim = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(image2D, image3D, RegistrationMetrics.Create("MI")));
        Assert.Equal(RegistrationError.DimensionMismatch, dim.Error);
        Assert.Contains("2D", dim.Message, StringComparison.Ordinal);

        var leaves = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(image2D, image2D, RegistrationMetrics.Create("MI"), Fast with { InitialOffsetMm = [500, 0] }));
        Assert.Equal(RegistrationError.TransformLeavesImage, leaves.Error);

        var emptyMask = new MedicalImage(new float[32 * 32], 32, 32, 1);
        var mask = Assert.Throws<RegistrationException>(() => ImageRegistration.Register(image2D, image2D, RegistrationMetrics.Create("MI"), Fast with { FixedMask = emptyMask }));
        Assert.Equal(RegistrationError.InvalidMask, mask.Error);

        var unknown = Assert.Throws<RegistrationException>(() => RegistrationMetrics.Create("Bogus"));
        Assert.Equal(RegistrationError.UnsupportedMetric, unknown.Error);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImageRegistration.Register(image2D, image2D, RegistrationMetrics.Create("MI"), Fast, null, cancelled.Token));
    }

    [Fact]
    public void AlignmentVerdictFlagsAShiftAndPassesTheIdentity()
    {
        var fixedImage = RegistrationTestImages.Blobs2D();
        var shifted = RegistrationTestImages.Warp(fixedImage, new TranslationTransform([3, 0]), v => 120 - v);
        var same = RegistrationTestImages.Warp(fixedImage, new TranslationTransform([0, 0]), v => 120 - v);
        var bad = AlignmentCheck.Test(fixedImage, shifted, RegistrationMetrics.Create("MI"), 1.0, Fast);
        var good = AlignmentCheck.Test(fixedImage, same, RegistrationMetrics.Create("MI"), 1.0, Fast);
        Assert.False(bad.Aligned);
        Assert.InRange(bad.TranslationMm, 2.6, 3.4);
        Assert.True(good.Aligned, good.ToString());
        Assert.InRange(good.Confidence, 0.5, 1.0);
        Assert.Equal("MI", good.Metric);
    }

    [Fact]
    public void VerdictIsTheConsensusOfItsStartsAndReportsEachStartsDisagreement()
    {
        var fixedImage = RegistrationTestImages.Blobs2D();
        var shifted = RegistrationTestImages.Warp(fixedImage, new TranslationTransform([3, 0]), v => 120 - v);
        var verdict = AlignmentCheck.Test(fixedImage, shifted, RegistrationMetrics.Create("MI"), 1.0, Fast);
        Assert.Equal(AlignmentCheck.DefaultRestarts, verdict.RestartDisagreementsMm.Count);
        Assert.Contains(0.0, verdict.RestartDisagreementsMm); // the estimate is one of the starts
        Assert.Empty(verdict.Warnings);
        var single = AlignmentCheck.Test(fixedImage, shifted, RegistrationMetrics.Create("MI"), 1.0, Fast, restarts: 1);
        Assert.Equal([0.0], single.RestartDisagreementsMm);
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignmentCheck.Test(fixedImage, shifted, RegistrationMetrics.Create("MI"), 1.0, Fast, restarts: 0));
    }

    [Fact]
    public void LinearMetricsOnANonLinearIntensityRelationWarnAndLoseConfidence()
    {
        // The moving image shows the same anatomy through a non-monotonic intensity map, as CT and MR do: a
        // correlation-based metric cannot be trusted there, whatever its restarts agree on.
        var fixedImage = RegistrationTestImages.Blobs2D();
        var moving = RegistrationTestImages.Warp(fixedImage, new TranslationTransform([0, 0]), v => Math.Abs(v - 30)); // correlation about 0.03 at the identity
        var ncc = AlignmentCheck.Test(fixedImage, moving, RegistrationMetrics.Create("NCC"), 1.0, Fast);
        var w = Assert.Single(ncc.Warnings);
        Assert.Contains("linear relation", w, StringComparison.Ordinal);
        Assert.Contains("MI or NMI", w, StringComparison.Ordinal);
        Assert.InRange(ncc.Confidence, 0, 0.5);

        // The same images through a linear map keep their confidence.
        var linear = RegistrationTestImages.Warp(fixedImage, new TranslationTransform([0, 0]), v => 2 * v + 5);
        var sameModality = AlignmentCheck.Test(fixedImage, linear, RegistrationMetrics.Create("NCC"), 1.0, Fast);
        Assert.True(sameModality.Aligned, sameModality.ToString());
        Assert.InRange(sameModality.Confidence, 0.5, 1.0);
    }

    [Fact]
    public void ForegroundRowEndsGiveTheLargestDisplacementOverTheWholeForeground()
    {
        var image = RegistrationTestImages.Blobs2D();
        var center = ImageRegistration.Center(image);
        var t = new Euler2DTransform(5 * Math.PI / 180, [1.5, -2], center);
        var extremes = AlignmentCheck.ForegroundExtremes(image);
        var mean = image.VoxelSpan.ToArray().Average(v => (double)v);
        var all = new List<double[]>();
        for (var y = 0; y < image.SizeY; y++)
        {
            for (var x = 0; x < image.SizeX; x++)
            {
                if (image[x, y] > mean)
                {
                    all.Add(image.Geometry.IndexToPhysical(x, y, 0)[..2]);
                }
            }
        }

        double Max(IEnumerable<double[]> points) => points.Max(p => Math.Sqrt(t.TransformPoint(p).Zip(p, (a, b) => (a - b) * (a - b)).Sum()));
        Assert.True(extremes.Count < all.Count / 2, $"{extremes.Count} of {all.Count}");
        Assert.Equal(Max(all), Max(extremes), 9);
        Assert.True(Max(AlignmentCheck.ForegroundCorners(image)) >= Max(all));
    }

    private static float Sample(MedicalImage image, double x, double y)
    {
        if (x < 0 || y < 0 || x > image.SizeX - 1 || y > image.SizeY - 1)
        {
            return 0;
        }

        int x0 = Math.Min((int)x, image.SizeX - 2), y0 = Math.Min((int)y, image.SizeY - 2);
        double fx = x - x0, fy = y - y0;
        return (float)(((1 - fy) * (((1 - fx) * image[x0, y0]) + (fx * image[x0 + 1, y0]))) + (fy * (((1 - fx) * image[x0, y0 + 1]) + (fx * image[x0 + 1, y0 + 1]))));
    }
}
