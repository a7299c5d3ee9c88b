namespace DeepSim.Imaging;

/// <summary>
/// Patches: square in-plane patches (2D, size^2 values) and cubic patches of a volume (3D, size^3 values). The one
/// place that cuts them out of an image and the one rule for their size.
/// </summary>
public sealed partial class MedicalImage
{
    /// <summary>True when <paramref name="size"/> is a usable patch side: odd and positive, so that a patch has a centre voxel.</summary>
    public static bool IsValidPatchSize(int size) => size >= 1 && size % 2 == 1;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="size"/> is odd and positive.</summary>
    /// <param name="size">The patch side.</param>
    /// <param name="paramName">The caller's name for it (filled in by the compiler).</param>
    public static void ThrowIfInvalidPatchSize(int size, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(size))] string? paramName = null)
    {
        if (!IsValidPatchSize(size))
        {
            throw new ArgumentOutOfRangeException(paramName, size, "Patch size must be odd and positive.");
        }
    }

    /// <summary>True when the <paramref name="size"/> x <paramref name="size"/> patch centred at (<paramref name="cx"/>, <paramref name="cy"/>) of slice <paramref name="cz"/> lies inside the image.</summary>
    public bool ContainsPatch(int cx, int cy, int cz, int size)
    {
        var h = size / 2;
        return IsValidPatchSize(size) && cx - h >= 0 && cy - h >= 0 && cx + h < SizeX && cy + h < SizeY && cz >= 0 && cz < SizeZ;
    }

    /// <summary>
    /// Copies the <paramref name="size"/> x <paramref name="size"/> patch centred at (<paramref name="cx"/>,
    /// <paramref name="cy"/>) of slice <paramref name="cz"/>, row-major (x fastest), into the first size * size
    /// values of <paramref name="destination"/>. Offsets are computed in 64 bits, so large volumes are safe.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is even or not positive, or the patch leaves the image.</exception>
    /// <exception cref="ArgumentException">The destination holds fewer than size * size values.</exception>
    public void CopyPatch(int cx, int cy, int cz, int size, Span<float> destination)
    {
        ThrowIfInvalidPatchSize(size);
        if (!ContainsPatch(cx, cy, cz, size))
        {
            throw new ArgumentOutOfRangeException(nameof(cx), $"A {size}x{size} patch centred at ({cx}, {cy}, {cz}) leaves image {Name} ({SizeX}x{SizeY}x{SizeZ}).");
        }

        if (destination.Length < size * size)
        {
            throw new ArgumentException($"A {size}x{size} patch needs {size * size} values; the destination holds {destination.Length}.", nameof(destination));
        }

        var h = size / 2;
        var plane = (long)SizeX * SizeY * cz;
        for (var row = 0; row < size; row++)
        {
            var start = plane + ((long)(cy - h + row) * SizeX) + (cx - h);
            _voxels.AsSpan(checked((int)start), size).CopyTo(destination.Slice(row * size, size));
        }
    }

    /// <summary>The patch of <see cref="CopyPatch(int, int, int, int, Span{float})"/> in a new array.</summary>
    public float[] CopyPatch(int cx, int cy, int cz, int size)
    {
        ThrowIfInvalidPatchSize(size);
        var patch = new float[size * size];
        CopyPatch(cx, cy, cz, size, patch);
        return patch;
    }

    /// <summary>Number of values in a patch of side <paramref name="size"/> and <paramref name="dimension"/> 2 (size^2) or 3 (size^3).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension is not 2 or 3.</exception>
    public static int PatchLength(int size, int dimension) => dimension switch
    {
        2 => size * size,
        3 => checked(size * size * size),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Patches are 2D (square) or 3D (cubic)."),
    };

    /// <summary>
    /// The dimension (2 or 3) of a flattened patch of <paramref name="length"/> values and side <paramref name="size"/>,
    /// or 0 when the length is neither size^2 nor size^3. A side of 1 counts as 2D.
    /// </summary>
    public static int PatchDimensionOf(int length, int size) =>
        length == size * size ? 2 : (size > 1 && (long)size * size * size == length ? 3 : 0);

    /// <summary>
    /// True when the cubic <paramref name="size"/>^3 patch centred at (<paramref name="cx"/>, <paramref name="cy"/>,
    /// <paramref name="cz"/>) lies inside the image (always false for a 2D image unless size is 1).
    /// </summary>
    public bool ContainsCubicPatch(int cx, int cy, int cz, int size)
    {
        var h = size / 2;
        return ContainsPatch(cx, cy, cz, size) && cz - h >= 0 && cz + h < SizeZ;
    }

    /// <summary>
    /// Copies the cubic <paramref name="size"/>^3 patch of a volume centred at (<paramref name="cx"/>,
    /// <paramref name="cy"/>, <paramref name="cz"/>), x fastest, then y, then z (value (x, y, z) of the patch at
    /// x + size * (y + size * z)), into the first size^3 values of <paramref name="destination"/>.
    /// </summary>
    /// <example>
    /// <code>
    /// // ct: a 91 x 109 x 91 volume (Import-MedicalImage scct.nii)
    /// float[] cube = ct.CopyCubicPatch(45, 54, 45, 7);   // 343 values, the 7 x 7 x 7 cube around voxel (45, 54, 45)
    /// </code>
    /// </example>
    /// <exception cref="ArgumentOutOfRangeException">The size is even or not positive, or the cube leaves the image (a 2D image holds no cube larger than 1).</exception>
    /// <exception cref="ArgumentException">The destination holds fewer than size^3 values.</exception>
    public void CopyCubicPatch(int cx, int cy, int cz, int size, Span<float> destination)
    {
        ThrowIfInvalidPatchSize(size);
        if (!ContainsCubicPatch(cx, cy, cz, size))
        {
            var why = SizeZ == 1 && size > 1 ? $" {Name} is a 2D image: use square patches, or a volume for cubic ones." : string.Empty;
            throw new ArgumentOutOfRangeException(nameof(cx), $"A {size}x{size}x{size} patch centred at ({cx}, {cy}, {cz}) leaves image {Name} ({SizeX}x{SizeY}x{SizeZ}).{why}");
        }

        var length = PatchLength(size, 3);
        if (destination.Length < length)
        {
            throw new ArgumentException($"A {size}x{size}x{size} patch needs {length} values; the destination holds {destination.Length}.", nameof(destination));
        }

        var h = size / 2;
        for (var dz = 0; dz < size; dz++)
        {
            var plane = (long)SizeX * SizeY * (cz - h + dz);
            for (var row = 0; row < size; row++)
            {
                var start = plane + ((long)(cy - h + row) * SizeX) + (cx - h);
                _voxels.AsSpan(checked((int)start), size).CopyTo(destination.Slice(((dz * size) + row) * size, size));
            }
        }
    }

    /// <summary>The cube of <see cref="CopyCubicPatch(int, int, int, int, Span{float})"/> in a new array.</summary>
    public float[] CopyCubicPatch(int cx, int cy, int cz, int size)
    {
        ThrowIfInvalidPatchSize(size);
        var patch = new float[PatchLength(size, 3)];
        CopyCubicPatch(cx, cy, cz, size, patch);
        return patch;
    }

    /// <summary>A square (<paramref name="dimension"/> 2, in slice cz) or cubic (3) patch in a new array.</summary>
    public float[] CopyPatch(int cx, int cy, int cz, int size, int dimension) =>
        dimension == 3 ? CopyCubicPatch(cx, cy, cz, size) : dimension == 2 ? CopyPatch(cx, cy, cz, size)
        : throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Patches are 2D (square) or 3D (cubic).");

    /// <summary>
    /// The sub-volume [x0, x0 + sizeX) x [y0, y0 + sizeY) x [z0, z0 + sizeZ) as a new image with the geometry of that
    /// region (same spacing and direction; origin at voxel (x0, y0, z0)), e.g. one hemisphere of a volume.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The region is empty or leaves the image.</exception>
    public MedicalImage Crop(int x0, int y0, int z0, int sizeX, int sizeY, int sizeZ)
    {
        if (sizeX < 1 || sizeY < 1 || sizeZ < 1 || x0 < 0 || y0 < 0 || z0 < 0 || x0 + sizeX > SizeX || y0 + sizeY > SizeY || z0 + sizeZ > SizeZ)
        {
            throw new ArgumentOutOfRangeException(nameof(x0), $"The region from ({x0}, {y0}, {z0}) of size {sizeX}x{sizeY}x{sizeZ} is empty or leaves image {Name} ({SizeX}x{SizeY}x{SizeZ}).");
        }

        var voxels = new float[(long)sizeX * sizeY * sizeZ];
        for (var z = 0; z < sizeZ; z++)
        {
            for (var y = 0; y < sizeY; y++)
            {
                var start = x0 + ((long)SizeX * ((y0 + y) + ((long)SizeY * (z0 + z))));
                _voxels.AsSpan(checked((int)start), sizeX).CopyTo(voxels.AsSpan((int)(sizeX * (y + ((long)sizeY * z))), sizeX));
            }
        }

        var origin = Geometry.IndexToPhysical(x0, y0, z0);
        var geometry = new ImageGeometry(Geometry.Spacing, origin, Geometry.Direction);
        return new MedicalImage(voxels, sizeX, sizeY, sizeZ, geometry, Modality, SourcePath, Format, Metadata);
    }
}
