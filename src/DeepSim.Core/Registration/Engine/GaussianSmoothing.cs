namespace DeepSim.Registration;

/// <summary>
/// Separable Gaussian smoothing of dense float arrays, normalised at the borders (each output is the weighted mean of
/// the taps that fall inside the array, so the image's edge is not darkened), with optional subsampling: along each
/// smoothed axis only every <c>factor</c>-th output (0, factor, 2 factor, ...) is computed, which is what a pyramid
/// level keeps. The kernel is exp(-i^2 / (2 sigma^2)) for |i| &lt;= max(1, ceil(3 sigma)).
/// <para>
/// The result equals smoothing the whole array (zero-padded convolution divided by the convolution of ones) and then
/// taking every factor-th voxel, because the Gaussian and its border weights are separable; the pyramid did exactly
/// that with libtorch's conv3d, which on one channel and a 1-D kernel cost about a second per 3D volume and level
/// (tests compare the two).
/// </para>
/// </summary>
internal static class GaussianSmoothing
{
    /// <summary>Work (taps x values) from which an axis pass is split over threads; each output is computed by one thread, so the result does not depend on the thread count.</summary>
    private const long ParallelWork = 1 << 20;

    /// <summary>The kernel's half width for <paramref name="sigma"/>.</summary>
    public static int Radius(double sigma) => Math.Max(1, (int)Math.Ceiling(3 * sigma));

    /// <summary>
    /// Smooths <paramref name="values"/>, a dense array whose dimensions are <paramref name="dims"/> (innermost first:
    /// the index is i0 + dims[0] (i1 + dims[1] (i2 + ...))), along each axis in <paramref name="axes"/> by
    /// <paramref name="sigma"/> (in samples; 0 = no smoothing), keeping every <paramref name="factor"/>-th sample along
    /// those axes. Returns the new array and its dimensions (a smoothed axis of length L keeps (L - 1) / factor + 1).
    /// </summary>
    public static (float[] Values, int[] Dims) Smooth(float[] values, int[] dims, IReadOnlyList<int> axes, double sigma, int factor = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(axes);
        if (!double.IsFinite(sigma) || sigma < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "The smoothing sigma must be finite and >= 0.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        if (dims.Aggregate(1L, (a, b) => a * b) != values.Length)
        {
            throw new ArgumentException($"The dimensions {string.Join("x", dims)} do not match the {values.Length} values.", nameof(dims));
        }

        var kernel = sigma > 0 ? Kernel(sigma) : [1f];
        var current = values;
        var currentDims = (int[])dims.Clone();
        foreach (var axis in axes)
        {
            (current, currentDims) = Pass(current, currentDims, axis, kernel, factor);
        }

        return (ReferenceEquals(current, values) ? (float[])values.Clone() : current, currentDims);
    }

    /// <summary>The normalised kernel, taps -r..r (r = <see cref="Radius"/>).</summary>
    public static float[] Kernel(double sigma)
    {
        var r = Radius(sigma);
        var k = new float[(2 * r) + 1];
        for (var i = -r; i <= r; i++)
        {
            k[i + r] = (float)Math.Exp(-(i * i) / (2 * sigma * sigma));
        }

        var sum = k.Sum();
        for (var i = 0; i < k.Length; i++)
        {
            k[i] /= sum;
        }

        return k;
    }

    /// <summary>One axis: out[.., i, ..] = sum_t k[t] in[.., i f + t - r, ..] / sum of the k[t] whose tap is inside.</summary>
    private static (float[] Values, int[] Dims) Pass(float[] input, int[] dims, int axis, float[] kernel, int factor)
    {
        if (axis < 0 || axis >= dims.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis {axis} does not exist in {dims.Length} dimensions.");
        }

        var length = dims[axis];
        var outLength = ((length - 1) / factor) + 1;
        var inner = 1;
        for (var a = 0; a < axis; a++)
        {
            inner *= dims[a];
        }

        var outer = 1;
        for (var a = axis + 1; a < dims.Length; a++)
        {
            outer *= dims[a];
        }

        var outDims = (int[])dims.Clone();
        outDims[axis] = outLength;
        var output = new float[(long)outer * outLength * inner];
        var r = kernel.Length / 2;

        // The border weight of every output position: the kernel's mass inside the array.
        var inverseMass = new float[outLength];
        for (var i = 0; i < outLength; i++)
        {
            var centre = i * factor;
            var mass = 0f;
            for (var t = Math.Max(0, r - centre); t < kernel.Length && centre + t - r < length; t++)
            {
                mass += kernel[t];
            }

            inverseMass[i] = 1f / mass;
        }

        void Line(int o)
        {
            var inBase = (long)o * length * inner;
            var outBase = (long)o * outLength * inner;
            for (var i = 0; i < outLength; i++)
            {
                var centre = i * factor;
                var first = Math.Max(0, r - centre);
                var last = Math.Min(kernel.Length - 1, length - 1 - centre + r);
                var target = output.AsSpan((int)(outBase + ((long)i * inner)), inner);
                if (inner == 1)
                {
                    var s = 0f;
                    for (var t = first; t <= last; t++)
                    {
                        s += kernel[t] * input[inBase + centre + t - r];
                    }

                    target[0] = s * inverseMass[i];
                    continue;
                }

                for (var t = first; t <= last; t++)
                {
                    var w = kernel[t];
                    var source = input.AsSpan((int)(inBase + ((long)(centre + t - r) * inner)), inner);
                    for (var j = 0; j < inner; j++)
                    {
                        target[j] += w * source[j];
                    }
                }

                var m = inverseMass[i];
                for (var j = 0; j < inner; j++)
                {
                    target[j] *= m;
                }
            }
        }

        if ((long)outer * outLength * inner * kernel.Length >= ParallelWork && outer > 1)
        {
            Parallel.For(0, outer, Line);
        }
        else
        {
            for (var o = 0; o < outer; o++)
            {
                Line(o);
            }
        }

        return (output, outDims);
    }
}
