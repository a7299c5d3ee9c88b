namespace DeepSim.Imaging.Formats;

/// <summary>
/// Sanity limits the readers apply before allocating anything, so that a small or corrupt file can never make
/// DeepSim allocate gigabytes.
/// </summary>
public static class ImageLimits
{
    /// <summary>
    /// Largest voxel count a reader accepts: 2^30 (a 4 GiB float32 array, e.g. 1024^3). Anything larger is reported as
    /// <see cref="ImageReadError.AbsurdDimensions"/>; it also keeps every voxel index inside a .NET float[].
    /// </summary>
    public const long MaxVoxels = 1L << 30;

    /// <summary>
    /// The most bytes deflate (zlib, gzip, PNG) can expand one compressed byte into (zlib's documented limit is
    /// 1032:1). Compressed data declaring more than this times its compressed size is rejected as
    /// <see cref="ImageReadError.DataSizeMismatch"/> before any allocation.
    /// </summary>
    public const long MaxDeflateRatio = 1032;

    /// <summary>Checks the dimensions and returns the voxel count; throws AbsurdDimensions for zero, negative or too many voxels.</summary>
    internal static long CheckDimensions(string path, IReadOnlyList<long> dims)
    {
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 1)
            {
                throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"dimensions {string.Join("x", dims)} include a zero or negative size.");
            }

            if (d > MaxVoxels || count * d > MaxVoxels)
            {
                throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"dimensions {string.Join("x", dims)} exceed DeepSim's limit of {MaxVoxels} voxels.");
            }

            count *= d;
        }

        return count;
    }

    /// <summary>Throws DataSizeMismatch when <paramref name="expectedBytes"/> cannot come from <paramref name="compressedBytes"/> of deflate data.</summary>
    internal static void CheckDeflateBound(string path, long expectedBytes, long compressedBytes)
    {
        if (expectedBytes > (compressedBytes * MaxDeflateRatio) + 1024)
        {
            throw new ImageReadException(
                ImageReadError.DataSizeMismatch,
                path,
                $"the header declares {expectedBytes} bytes of image data but {compressedBytes} compressed bytes can hold at most {compressedBytes * MaxDeflateRatio}.");
        }
    }
}
