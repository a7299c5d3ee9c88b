using DeepSim.Patches;

namespace DeepSim.Learning;

/// <summary>Turns raw patches into network inputs: one row of 2 x patch^2 (2D) or 2 x patch^3 (3D) values (fixed, then moving) per pair.</summary>
internal static class PatchInputs
{
    /// <summary>Added to the variance before the square root in <see cref="InputNormalization.PatchZScore"/>.</summary>
    public const double ZScoreEpsilon = 1e-6;

    /// <summary>The common patch size of <paramref name="pairs"/>; throws if they differ or the list is empty.</summary>
    public static int CommonPatchSize(IReadOnlyList<PatchPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("At least one patch pair is needed.", nameof(pairs));
        }

        var size = pairs[0].PatchSize;
        for (var i = 1; i < pairs.Count; i++)
        {
            if (pairs[i].PatchSize != size)
            {
                throw new ArgumentException($"All pairs must have the same patch size: pair 0 is {size}x{size}, pair {i} ({pairs[i]}) is {pairs[i].PatchSize}x{pairs[i].PatchSize}.", nameof(pairs));
            }
        }

        return size;
    }

    /// <summary>The common patch size and dimension (2 or 3) of <paramref name="pairs"/>; throws if they differ or the list is empty.</summary>
    public static (int Size, int Dimension) CommonShape(IReadOnlyList<PatchPair> pairs)
    {
        var size = CommonPatchSize(pairs);
        var dimension = pairs[0].Dimension;
        for (var i = 1; i < pairs.Count; i++)
        {
            if (pairs[i].Dimension != dimension)
            {
                throw new ArgumentException($"All pairs must have the same patch dimension: pair 0 is {dimension}D, pair {i} ({pairs[i]}) is {pairs[i].Dimension}D; train 2D and 3D models separately.", nameof(pairs));
            }
        }

        return (size, dimension);
    }

    /// <summary>Row-major N x (2 * patch^2) input matrix (2 * patch^3 for cubic patches).</summary>
    public static float[] Build(IReadOnlyList<PatchPair> pairs, InputNormalization normalization)
    {
        var (size, dimension) = CommonShape(pairs);
        var n = Imaging.MedicalImage.PatchLength(size, dimension);
        var data = new float[(long)pairs.Count * 2 * n];
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            var row = data.AsSpan(i * 2 * n, 2 * n);
            Normalize(p.FixedPatch, p.FixedRange, normalization, row[..n]);
            Normalize(p.MovingPatch, p.MovingRange, normalization, row[n..]);
        }

        return data;
    }

    /// <summary>Labels as 0 (NonMatch) / 1 (Match).</summary>
    public static long[] Labels(IReadOnlyList<PatchPair> pairs)
    {
        var labels = new long[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            labels[i] = pairs[i].IsMatch ? 1 : 0;
        }

        return labels;
    }

    /// <summary>Scales one patch into <paramref name="destination"/>.</summary>
    public static void Normalize(ReadOnlySpan<float> patch, IntensityRange range, InputNormalization normalization, Span<float> destination)
    {
        if (normalization == InputNormalization.ImageRange)
        {
            var min = range.Min;
            var scale = 1f / range.Width;
            for (var i = 0; i < patch.Length; i++)
            {
                destination[i] = (patch[i] - min) * scale;
            }

            return;
        }

        double sum = 0;
        foreach (var v in patch)
        {
            sum += v;
        }

        var mean = sum / patch.Length;
        double ss = 0;
        foreach (var v in patch)
        {
            var d = v - mean;
            ss += d * d;
        }

        var inv = 1.0 / Math.Sqrt((ss / patch.Length) + ZScoreEpsilon);
        for (var i = 0; i < patch.Length; i++)
        {
            destination[i] = (float)((patch[i] - mean) * inv);
        }
    }
}
