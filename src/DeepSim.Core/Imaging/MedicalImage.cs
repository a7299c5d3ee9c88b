namespace DeepSim.Imaging;

/// <summary>
/// A scalar medical image: float32 voxels on a regular grid with its physical geometry.
/// Voxels are stored x fastest, then y, then z (index = x + SizeX * (y + SizeY * z)).
/// 2D images have <see cref="SizeZ"/> = 1.
/// </summary>
public sealed class MedicalImage
{
    private readonly float[] _voxels;

    /// <summary>Creates an image; the voxel array is taken, not copied.</summary>
    public MedicalImage(
        float[] voxels, int sizeX, int sizeY, int sizeZ,
        ImageGeometry? geometry = null,
        string? modality = null,
        string? sourcePath = null,
        string format = "memory",
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(voxels);
        if (sizeX < 1 || sizeY < 1 || sizeZ < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeX), $"Image size must be positive, got {sizeX}x{sizeY}x{sizeZ}.");
        }

        if ((long)sizeX * sizeY * sizeZ != voxels.LongLength)
        {
            throw new ArgumentException($"Voxel count {voxels.LongLength} does not match size {sizeX}x{sizeY}x{sizeZ}.", nameof(voxels));
        }

        _voxels = voxels;
        SizeX = sizeX;
        SizeY = sizeY;
        SizeZ = sizeZ;
        Geometry = geometry ?? ImageGeometry.Identity;
        Modality = modality;
        SourcePath = sourcePath;
        Format = format;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>Number of voxels along x (columns).</summary>
    public int SizeX { get; }

    /// <summary>Number of voxels along y (rows).</summary>
    public int SizeY { get; }

    /// <summary>Number of voxels along z (slices); 1 for a 2D image.</summary>
    public int SizeZ { get; }

    /// <summary>The size as (x, y, z).</summary>
    public int[] Size => [SizeX, SizeY, SizeZ];

    /// <summary>Number of dimensions with more than one voxel, at least 2.</summary>
    public int Dimension => SizeZ > 1 ? 3 : 2;

    /// <summary>Spacing, origin and direction.</summary>
    public ImageGeometry Geometry { get; }

    /// <summary>Voxel spacing in millimetres (x, y, z).</summary>
    public double[] Spacing => [.. Geometry.Spacing];

    /// <summary>
    /// Physical position of the first voxel's centre (x, y, z), in millimetres in DeepSim's patient coordinates:
    /// LPS+ (x towards the patient's left, y posterior, z superior), as in DICOM and ITK. Readers of RAS formats
    /// (NIfTI) negate x and y, as ITK does; MetaImage and DICOM are LPS already; PNG has no patient frame (origin 0).
    /// </summary>
    public double[] Origin => [.. Geometry.Origin];

    /// <summary>Direction cosines, row-major 3x3; column j is the physical direction of index axis j.</summary>
    public double[] Direction => [.. Geometry.Direction];

    /// <summary>Modality if known (CT, MR, PT ...), else null.</summary>
    public string? Modality { get; }

    /// <summary>File or folder the image was read from; null for images made in memory.</summary>
    public string? SourcePath { get; }

    /// <summary>Format it was read from (PNG, MetaImage, NIfTI, DICOM, memory).</summary>
    public string Format { get; }

    /// <summary>A small dictionary of header fields worth keeping (description, units, DICOM identifiers ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Total voxel count.</summary>
    public long VoxelCount => _voxels.LongLength;

    /// <summary>A read-only view of the voxels.</summary>
    public ReadOnlySpan<float> VoxelSpan => _voxels;

    /// <summary>A copy of the voxels (x fastest).</summary>
    public float[] GetVoxels() => (float[])_voxels.Clone();

    /// <summary>The voxel at (x, y, z).</summary>
    public float this[int x, int y, int z = 0] => _voxels[x + (SizeX * (y + (SizeY * z)))];

    /// <summary>A short name for display: the file name, or "memory".</summary>
    public string Name => SourcePath is null ? "memory" : System.IO.Path.GetFileName(SourcePath.TrimEnd('/', '\\'));

    /// <summary>Smallest and largest finite voxel value (NaN and infinite voxels are left out; (+inf, -inf) when there is none).</summary>
    public (float Min, float Max) GetRange()
    {
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var v in _voxels)
        {
            if (!float.IsFinite(v))
            {
                continue;
            }

            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        return (min, max);
    }

    /// <summary>
    /// How many voxels are NaN and how many infinite. DeepSim keeps such voxels as read (import warns once per image with
    /// these counts); patch sampling never uses a patch that contains one, and scoring gives a candidate patch that
    /// contains one a NaN score, which ranks last.
    /// </summary>
    public (long NaN, long Infinite) CountNonFinite()
    {
        long nan = 0;
        long inf = 0;
        foreach (var v in _voxels)
        {
            if (!float.IsFinite(v))
            {
                if (float.IsNaN(v))
                {
                    nan++;
                }
                else
                {
                    inf++;
                }
            }
        }

        return (nan, inf);
    }

    /// <summary>True when every voxel is finite (no NaN, no infinity).</summary>
    public bool IsAllFinite() => CountNonFinite() is (0, 0);

    /// <summary>True when both images have the same size and, within a tolerance, the same geometry.</summary>
    public bool SameGridAs(MedicalImage other, double tolerance = 1e-4) =>
        SizeX == other.SizeX && SizeY == other.SizeY && SizeZ == other.SizeZ && Geometry.ApproximatelyEquals(other.Geometry, tolerance);

    /// <summary>The slice z as a new 2D image (shares no memory with this one).</summary>
    public MedicalImage GetSlice(int z)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(z);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(z, SizeZ);
        var n = SizeX * SizeY;
        var slice = new float[n];
        Array.Copy(_voxels, (long)n * z, slice, 0, n);
        var origin = Geometry.IndexToPhysical(0, 0, z);
        var g = new ImageGeometry(Geometry.Spacing, origin, Geometry.Direction);
        return new MedicalImage(slice, SizeX, SizeY, 1, g, Modality, SourcePath, Format, Metadata);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {SizeX}x{SizeY}x{SizeZ} {Modality ?? Format}";
}
