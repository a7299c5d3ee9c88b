using DeepSim.Imaging;

namespace DeepSim.Similarity;

/// <summary>What is wrong with the patch size asked of a set of metrics.</summary>
public enum PatchSizeConflict
{
    /// <summary>Two metrics need different patch sizes (e.g. two models trained on different patches).</summary>
    MetricsDisagree,

    /// <summary>The requested size differs from the one a metric needs.</summary>
    RequestDisagrees,

    /// <summary>The size is even or not positive.</summary>
    InvalidSize,

    /// <summary>The metrics score patches of different dimensions (square 2D against cubic 3D), or not the dimension asked for.</summary>
    DimensionsDisagree,
}

/// <summary>The patch size asked of a set of metrics does not work for them.</summary>
public sealed class PatchSizeConflictException(PatchSizeConflict conflict, string message) : ArgumentException(message)
{
    /// <summary>The kind of conflict.</summary>
    public PatchSizeConflict Conflict { get; } = conflict;

    /// <summary>The ErrorId a cmdlet reports: InvalidPatchSize for a bad size, PatchSizeMismatch otherwise.</summary>
    public string ErrorId => Conflict switch
    {
        PatchSizeConflict.InvalidSize => "InvalidPatchSize",
        PatchSizeConflict.DimensionsDisagree => "DimensionMismatch",
        _ => "PatchSizeMismatch",
    };
}

/// <summary>The one reconciliation of a requested patch size with the sizes the metrics need.</summary>
public static class MetricPatchSize
{
    /// <summary>The paper's patch side, used when neither the caller nor a metric asks for one.</summary>
    public const int Default = 17;

    /// <summary>
    /// The default side of cubic (3D, -Volumetric) patches: 7. A 7^3 cube holds 343 voxels, about a 17x17 square's 289,
    /// so the fully connected network keeps the paper's input size (2 x 343 = 686 inputs); at the MNI templates' 2 mm
    /// it spans 14 mm, about the physical width of the paper's 17-pixel patches on ~1 mm head slices. A 9^3 cube
    /// (729 voxels) would double the network's first layer and the scoring time for little extra context.
    /// </summary>
    public const int DefaultVolumetric = 7;

    /// <summary>
    /// The patch dimension to evaluate <paramref name="metrics"/> with: 3 (cubic patches, 3D search) when
    /// <paramref name="volumetric"/> is asked or a metric needs cubes (a model trained on cubes), else 2.
    /// </summary>
    /// <exception cref="PatchSizeConflictException">The metrics need different dimensions, or a metric of square patches is asked for cubes (<see cref="PatchSizeConflict.DimensionsDisagree"/>).</exception>
    public static int Dimension(IEnumerable<ISimilarityMetric> metrics, bool volumetric)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var list = metrics.ToList();
        var needs = list.Where(m => m.RequiredPatchDimension is not null).Select(m => m.RequiredPatchDimension!.Value).Distinct().ToList();
        var dimension = volumetric || needs.Contains(3) ? 3 : 2;
        if (needs.Count > 1 || (needs.Count == 1 && needs[0] != dimension))
        {
            throw new PatchSizeConflictException(PatchSizeConflict.DimensionsDisagree, volumetric
                ? $"-Volumetric asks for cubic (3D) patches but {string.Join(", ", list.Where(m => m.RequiredPatchDimension == 2).Select(m => m.Name))} scores square (2D) patches; evaluate it without -Volumetric."
                : "The metrics mix models of square (2D) and cubic (3D) patches; evaluate them separately.");
        }

        return dimension;
    }

    /// <summary>
    /// The patch side to use with <paramref name="metrics"/>: <paramref name="requested"/> when given, else the size
    /// the metrics need (<see cref="ISimilarityMetric.RequiredPatchSize"/>), else <see cref="Default"/> (2D) or
    /// <see cref="DefaultVolumetric"/> (<paramref name="dimension"/> 3).
    /// </summary>
    /// <exception cref="PatchSizeConflictException">The metrics need different sizes, the request differs from theirs, or the size is not odd and positive.</exception>
    public static int Reconcile(IEnumerable<ISimilarityMetric> metrics, int? requested = null, int dimension = 2)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var needs = metrics.Where(m => m.RequiredPatchSize is not null).GroupBy(m => m.RequiredPatchSize!.Value).ToList();
        if (needs.Count > 1)
        {
            throw new PatchSizeConflictException(PatchSizeConflict.MetricsDisagree, $"The metrics need different patch sizes ({string.Join(", ", needs.Select(g => $"{g.First().Name}: {g.Key}x{g.Key}"))}); evaluate them separately.");
        }

        if (requested is int r && needs.Count == 1 && needs[0].Key != r)
        {
            var need = needs[0].Key;
            throw new PatchSizeConflictException(PatchSizeConflict.RequestDisagrees, $"Patch size {r} does not fit metric '{needs[0].First().Name}', which scores {need}x{need} patches.");
        }

        var size = requested ?? (needs.Count == 1 ? needs[0].Key : dimension == 3 ? DefaultVolumetric : Default);
        if (!MedicalImage.IsValidPatchSize(size))
        {
            throw new PatchSizeConflictException(PatchSizeConflict.InvalidSize, $"Patch size {size} is invalid: it must be odd and positive.");
        }

        return size;
    }
}
