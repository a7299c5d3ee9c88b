using DeepSim.Imaging;

namespace DeepSim.Patches;

/// <summary>Whether two patches show the same anatomy.</summary>
public enum PatchLabel
{
    /// <summary>Different positions: the patches do not correspond.</summary>
    NonMatch = 0,

    /// <summary>The same position in two co-registered images.</summary>
    Match = 1,
}

/// <summary>A voxel position (x, y, z) of a patch centre; z = 0 in 2D images.</summary>
public readonly record struct PatchCenter(int X, int Y, int Z = 0)
{
    /// <inheritdoc />
    public override string ToString() => Z == 0 ? $"({X},{Y})" : $"({X},{Y},{Z})";
}

/// <summary>Intensity window an image's voxels are scaled with before they reach a network: [Min, Max] maps to [0, 1].</summary>
public readonly record struct IntensityRange(float Min, float Max)
{
    /// <summary>Max - Min, or 1 when the range is empty, so that scaling never divides by zero.</summary>
    public float Width => Max > Min ? Max - Min : 1f;

    /// <summary>The range of an image's voxels.</summary>
    public static IntensityRange Of(Imaging.MedicalImage image)
    {
        var (min, max) = image.GetRange();
        return new IntensityRange(min, max);
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"[{Min:G5}, {Max:G5}]");
}

/// <summary>
/// A fixed patch and a moving patch (square or cubic, odd side, x fastest, raw intensities), whether they correspond,
/// where they came from, and each source image's intensity range (for normalisation). A 2D pair holds PatchSize^2
/// values per patch, a 3D pair (cubic patches of a volume) PatchSize^3; <see cref="Dimension"/> tells which.
/// </summary>
public sealed class PatchPair
{
    /// <summary>Creates a pair; arrays are taken, not copied.</summary>
    public PatchPair(
        float[] fixedPatch,
        float[] movingPatch,
        int patchSize,
        PatchLabel label,
        PatchCenter fixedCenter,
        PatchCenter movingCenter,
        string fixedSource,
        string movingSource,
        IntensityRange fixedRange,
        IntensityRange movingRange)
    {
        ArgumentNullException.ThrowIfNull(fixedPatch);
        ArgumentNullException.ThrowIfNull(movingPatch);
        MedicalImage.ThrowIfInvalidPatchSize(patchSize);

        var dimension = MedicalImage.PatchDimensionOf(fixedPatch.Length, patchSize);
        if (dimension == 0 || movingPatch.Length != fixedPatch.Length)
        {
            throw new ArgumentException($"Both patches must hold {patchSize}x{patchSize} = {patchSize * patchSize} values (2D) or {patchSize}^3 = {(long)patchSize * patchSize * patchSize} values (3D) (got {fixedPatch.Length} and {movingPatch.Length}).");
        }

        Dimension = dimension;

        FixedPatch = fixedPatch;
        MovingPatch = movingPatch;
        PatchSize = patchSize;
        Label = label;
        FixedCenter = fixedCenter;
        MovingCenter = movingCenter;
        FixedSource = fixedSource;
        MovingSource = movingSource;
        FixedRange = fixedRange;
        MovingRange = movingRange;
    }

    /// <summary>Fixed-image patch, x fastest, PatchSize^2 (2D) or PatchSize^3 (3D) raw intensities.</summary>
    public float[] FixedPatch { get; }

    /// <summary>Moving-image patch, x fastest, PatchSize^2 (2D) or PatchSize^3 (3D) raw intensities.</summary>
    public float[] MovingPatch { get; }

    /// <summary>Side length of both patches (odd).</summary>
    public int PatchSize { get; }

    /// <summary>2 for square in-plane patches, 3 for cubic patches of a volume (Get-PatchPair -Volumetric).</summary>
    public int Dimension { get; }

    /// <summary>Match (same position) or NonMatch.</summary>
    public PatchLabel Label { get; }

    /// <summary>True for a corresponding pair.</summary>
    public bool IsMatch => Label == PatchLabel.Match;

    /// <summary>Centre of the fixed patch in the fixed image.</summary>
    public PatchCenter FixedCenter { get; }

    /// <summary>Centre of the moving patch in the moving image.</summary>
    public PatchCenter MovingCenter { get; }

    /// <summary>Identity (path or name) of the fixed image.</summary>
    public string FixedSource { get; }

    /// <summary>Identity (path or name) of the moving image.</summary>
    public string MovingSource { get; }

    /// <summary>Intensity range of the whole fixed image.</summary>
    public IntensityRange FixedRange { get; }

    /// <summary>Intensity range of the whole moving image.</summary>
    public IntensityRange MovingRange { get; }

    /// <summary>A similarity score set by Measure-PatchSimilarity; null until scored.</summary>
    public double? Score { get; set; }

    /// <summary>Name of the metric that produced <see cref="Score"/>.</summary>
    public string? ScoredBy { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Label} {FixedCenter}->{MovingCenter} {System.IO.Path.GetFileName(FixedSource)}/{System.IO.Path.GetFileName(MovingSource)}";
}
