namespace DeepSim.Learning;

/// <summary>How a <see cref="FeatureSimilarityModel"/> turns an image's intensities into network input.</summary>
public enum FeatureInputNormalization
{
    /// <summary>Scale by the whole image's range into [0, 1] (format version 2 models; no invariance to local level or contrast).</summary>
    ImageRange = 0,

    /// <summary>
    /// After the range scaling, standardise every voxel in its (2r+1)^2 box window: (v - mean) / (std + epsilon), as a
    /// local correlation coefficient does. The result no longer depends on the patient's or scanner's local intensity
    /// level and contrast. The window lies inside the patch: the network's receptive field is the patch minus 2r.
    /// </summary>
    Local = 1,
}

/// <summary>The local standardisation of <see cref="FeatureInputNormalization.Local"/>, on plain arrays.</summary>
public static class LocalStandardization
{
    /// <summary>
    /// Standardises a row-major <paramref name="width"/> x <paramref name="height"/> image in (2r+1)^2 box windows,
    /// "valid": the output is (width - 2r) x (height - 2r), output (x, y) being input (x + r, y + r) minus its window's
    /// mean, over the window's (population) standard deviation plus <paramref name="epsilon"/>. Sums in float64.
    /// </summary>
    public static float[] Apply(ReadOnlySpan<float> image, int width, int height, int radius, double epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(radius, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epsilon);
        var outW = width - (2 * radius);
        var outH = height - (2 * radius);
        if (outW < 1 || outH < 1 || image.Length < width * height)
        {
            throw new ArgumentException($"A {width}x{height} image is too small for windows of radius {radius}.", nameof(image));
        }

        var stride = width + 1;
        var sum = new double[(height + 1) * stride];
        var sq = new double[sum.Length];
        for (var y = 0; y < height; y++)
        {
            double rowSum = 0, rowSq = 0;
            for (var x = 0; x < width; x++)
            {
                double v = image[(y * width) + x];
                rowSum += v;
                rowSq += v * v;
                var i = ((y + 1) * stride) + x + 1;
                sum[i] = sum[i - stride] + rowSum;
                sq[i] = sq[i - stride] + rowSq;
            }
        }

        var k = (2 * radius) + 1;
        var n = (double)k * k;
        var result = new float[outW * outH];
        for (var y = 0; y < outH; y++)
        {
            for (var x = 0; x < outW; x++)
            {
                int a = (y * stride) + x, b = a + k, c = a + (k * stride), d = c + k;
                var mean = (sum[d] - sum[b] - sum[c] + sum[a]) / n;
                var variance = Math.Max(0, ((sq[d] - sq[b] - sq[c] + sq[a]) / n) - (mean * mean));
                var v = image[((y + radius) * width) + x + radius];
                result[(y * outW) + x] = (float)((v - mean) / (Math.Sqrt(variance) + epsilon));
            }
        }

        return result;
    }

    /// <summary>
    /// The 3D form of <see cref="Apply"/>: standardises a volume (x fastest, then y, then z) in (2r+1)^3 box windows,
    /// "valid": the output is (width - 2r) x (height - 2r) x (depth - 2r). Sums in float64.
    /// </summary>
    public static float[] Apply3D(ReadOnlySpan<float> volume, int width, int height, int depth, int radius, double epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(radius, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epsilon);
        var k = (2 * radius) + 1;
        var (outW, outH, outD) = (width - k + 1, height - k + 1, depth - k + 1);
        if (outW < 1 || outH < 1 || outD < 1 || volume.Length < (long)width * height * depth)
        {
            throw new ArgumentException($"A {width}x{height}x{depth} volume is too small for windows of radius {radius}.", nameof(volume));
        }

        var mean = new double[outW * outH * outD];
        var variance = new double[mean.Length];
        BoxMoments3D(volume, width, height, depth, k, mean, variance);
        var result = new float[mean.Length];
        for (var z = 0; z < outD; z++)
        {
            for (var y = 0; y < outH; y++)
            {
                for (var x = 0; x < outW; x++)
                {
                    var i = (((z * outH) + y) * outW) + x;
                    var v = volume[((((z + radius) * height) + y + radius) * width) + x + radius];
                    result[i] = (float)((v - mean[i]) / (Math.Sqrt(variance[i]) + epsilon));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Mean and (population) variance of every k^3 box of a volume (x fastest), "valid": (width - k + 1) x
    /// (height - k + 1) x (depth - k + 1) values each, from 3D summed-volume tables in float64.
    /// </summary>
    internal static void BoxMoments3D(ReadOnlySpan<float> volume, int width, int height, int depth, int k, Span<double> mean, Span<double> variance)
    {
        int sx = width + 1, sxy = (width + 1) * (height + 1);
        var sum = new double[sxy * (depth + 1)];
        var sq = new double[sum.Length];
        for (var z = 0; z < depth; z++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    double v = volume[(((z * height) + y) * width) + x];
                    var i = ((z + 1) * sxy) + ((y + 1) * sx) + x + 1;
                    sum[i] = v + sum[i - 1] + sum[i - sx] + sum[i - sxy] - sum[i - 1 - sx] - sum[i - 1 - sxy] - sum[i - sx - sxy] + sum[i - 1 - sx - sxy];
                    sq[i] = (v * v) + sq[i - 1] + sq[i - sx] + sq[i - sxy] - sq[i - 1 - sx] - sq[i - 1 - sxy] - sq[i - sx - sxy] + sq[i - 1 - sx - sxy];
                }
            }
        }

        var (outW, outH, outD) = (width - k + 1, height - k + 1, depth - k + 1);
        var n = (double)k * k * k;
        int dx = k, dy = k * sx, dz = k * sxy;
        for (var z = 0; z < outD; z++)
        {
            for (var y = 0; y < outH; y++)
            {
                for (var x = 0; x < outW; x++)
                {
                    var a = (z * sxy) + (y * sx) + x;
                    var s1 = Box(sum, a, dx, dy, dz);
                    var s2 = Box(sq, a, dx, dy, dz);
                    var i = (((z * outH) + y) * outW) + x;
                    mean[i] = s1 / n;
                    variance[i] = Math.Max(0, (s2 / n) - (mean[i] * mean[i]));
                }
            }
        }
    }

    private static double Box(double[] t, int a, int dx, int dy, int dz) =>
        t[a + dx + dy + dz] - t[a + dy + dz] - t[a + dx + dz] - t[a + dx + dy] + t[a + dz] + t[a + dy] + t[a + dx] - t[a];
}
