using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Similarity;

/// <summary>The one reconciliation of a requested patch size with the metrics' own.</summary>
public class MetricPatchSizeTests
{
    private static readonly ISimilarityMetric Nmi = MetricRegistry.Create("NMI");

    [Fact]
    public void ClassicalMetricsTakeTheRequestOrThePapersSize()
    {
        Assert.Equal(17, MetricPatchSize.Reconcile([Nmi]));
        Assert.Equal(17, MetricPatchSize.Default);
        Assert.Equal(9, MetricPatchSize.Reconcile([Nmi, MetricRegistry.Create("LCC")], 9));
    }

    [Fact]
    public void AModelsSizeIsUsedWhenNoneIsAskedAndMustMatchARequest()
    {
        Assert.Equal(15, MetricPatchSize.Reconcile([Nmi, new Sized("model", 15)]));
        Assert.Equal(15, MetricPatchSize.Reconcile([new Sized("a", 15), new Sized("b", 15)], 15));
        var e = Assert.Throws<PatchSizeConflictException>(() => MetricPatchSize.Reconcile([Nmi, new Sized("model", 15)], 17));
        Assert.Equal(PatchSizeConflict.RequestDisagrees, e.Conflict);
        Assert.Equal("PatchSizeMismatch", e.ErrorId);
        Assert.Contains("'model'", e.Message);
        Assert.Contains("15x15", e.Message);
    }

    [Fact]
    public void ModelsOfDifferentSizesCannotBeUsedTogether()
    {
        var e = Assert.Throws<PatchSizeConflictException>(() => MetricPatchSize.Reconcile([new Sized("a", 15), new Sized("b", 17)]));
        Assert.Equal(PatchSizeConflict.MetricsDisagree, e.Conflict);
        Assert.Contains("a: 15x15", e.Message);
        Assert.Contains("b: 17x17", e.Message);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(0)]
    [InlineData(-5)]
    public void AnEvenOrEmptySizeIsInvalid(int size)
    {
        var e = Assert.Throws<PatchSizeConflictException>(() => MetricPatchSize.Reconcile([Nmi], size));
        Assert.Equal(PatchSizeConflict.InvalidSize, e.Conflict);
        Assert.Equal("InvalidPatchSize", e.ErrorId);
        Assert.IsAssignableFrom<ArgumentException>(e);
    }

    [Fact]
    public void TheDimensionIsAskedOrImpliedByACubicModelAndMustBeOne()
    {
        Assert.Equal(2, MetricPatchSize.Dimension([Nmi], volumetric: false));
        Assert.Equal(3, MetricPatchSize.Dimension([Nmi], volumetric: true));
        Assert.Equal(3, MetricPatchSize.Dimension([Nmi, new Sized("cube", 7, 3)], volumetric: false));
        Assert.Equal(7, MetricPatchSize.Reconcile([Nmi], dimension: 3));
        Assert.Equal(MetricPatchSize.DefaultVolumetric, MetricPatchSize.Reconcile([Nmi], dimension: 3));
        Assert.Equal(9, MetricPatchSize.Reconcile([Nmi], 9, dimension: 3));

        var asked = Assert.Throws<PatchSizeConflictException>(() => MetricPatchSize.Dimension([Nmi, new Sized("square", 17, 2)], volumetric: true));
        Assert.Equal(PatchSizeConflict.DimensionsDisagree, asked.Conflict);
        Assert.Equal("DimensionMismatch", asked.ErrorId);
        Assert.Contains("square", asked.Message);

        var mixed = Assert.Throws<PatchSizeConflictException>(() => MetricPatchSize.Dimension([new Sized("square", 17, 2), new Sized("cube", 7, 3)], volumetric: false));
        Assert.Equal(PatchSizeConflict.DimensionsDisagree, mixed.Conflict);
        Assert.Contains("mix", mixed.Message);
    }

    private sealed class Sized(string name, int size, int? dimension = null) : ISimilarityMetric
    {
        public string Name => name;

        public int? RequiredPatchSize => size;

        public int? RequiredPatchDimension => dimension;

        public void ScorePairs(IReadOnlyList<PatchPair> pairs, Span<double> scores, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void ScoreSearchWindows(MedicalImage fixedImage, MedicalImage movingImage, IReadOnlyList<PatchCenter> centres, int patchSize, int radius, Span<float> scores, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
