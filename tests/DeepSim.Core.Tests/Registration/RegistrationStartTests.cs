using DeepSim.Registration;
using Xunit;

namespace DeepSim.Tests.Registration;

/// <summary>The rotation search before the optimiser and the fixed sample set at the finest level.</summary>
public class RegistrationStartTests
{
    [Fact]
    public void RotationSearchStartsNearALargeRotation()
    {
        var fixedImage = RegistrationTestImages.Blobs2D(64);
        var center = ImageRegistration.Center(fixedImage);
        var truth = new Euler2DTransform(27 * Math.PI / 180, [0, 0], center);
        var moving = RegistrationTestImages.Warp(fixedImage, truth, v => 120 - v);
        // No iterations: the result is the search's pick alone.
        var options = new RegistrationOptions { ShrinkFactors = [2, 1], Iterations = [0], RotationSearchDegrees = 40, RotationSearchStepDegrees = 3 };
        var searched = Assert.IsType<Euler2DTransform>(ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("MI"), options).Transform);
        Assert.InRange(searched.AngleDegrees, 24, 30);
        var off = Assert.IsType<Euler2DTransform>(ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("MI"), options with { RotationSearchDegrees = 0 }).Transform);
        Assert.Equal(0, off.AngleDegrees, 9);
        var affine = Assert.IsType<AffineTransform>(ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("MI"), options with { Transform = RegistrationTransformKind.Affine }).Transform);
        Assert.InRange(Math.Atan2(affine.Matrix[2], affine.Matrix[0]) * 180 / Math.PI, 24, 30);
    }

    [Fact]
    public void AFullFinestLevelIgnoresTheSeedWhereRandomSamplingDoesNot()
    {
        var fixedImage = RegistrationTestImages.Blobs2D(64);
        var truth = new Euler2DTransform(4 * Math.PI / 180, [2.5, -1.5], ImageRegistration.Center(fixedImage));
        var moving = RegistrationTestImages.Warp(fixedImage, truth);
        var options = new RegistrationOptions { ShrinkFactors = [1], Iterations = [40], SampleCount = 256 };
        var metric = RegistrationMetrics.Create("MI");
        var random1 = ImageRegistration.Register(fixedImage, moving, metric, options with { Seed = 1 });
        var random2 = ImageRegistration.Register(fixedImage, moving, metric, options with { Seed = 2 });
        Assert.NotEqual(random1.Parameters, random2.Parameters);
        var full1 = ImageRegistration.Register(fixedImage, moving, metric, options with { Seed = 1, FinestLevelSampling = RegistrationSampling.Full });
        var full2 = ImageRegistration.Register(fixedImage, moving, metric, options with { Seed = 2, FinestLevelSampling = RegistrationSampling.Full });
        Assert.Equal(full1.Parameters, full2.Parameters);
        Assert.Equal(RegistrationSampling.Full, (options with { FinestLevelSampling = RegistrationSampling.Full }).SamplingOf(0));
        Assert.Equal(RegistrationSampling.Random, (options with { ShrinkFactors = [2, 1], FinestLevelSampling = RegistrationSampling.Full }).SamplingOf(0));
    }

    [Fact]
    public void BadSearchSettingsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new RegistrationOptions { RotationSearchDegrees = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new RegistrationOptions { RotationSearchDegrees = 10, RotationSearchStepDegrees = 0 }.Validate());
    }
}
