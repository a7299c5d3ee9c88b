namespace DeepSim.Imaging;

/// <summary>Square in-plane patches: the one place that cuts them out of an image and the one rule for their size.</summary>
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
}
