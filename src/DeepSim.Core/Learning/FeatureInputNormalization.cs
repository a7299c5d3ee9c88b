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
}
