namespace DeepSim.Similarity;

/// <summary>
/// Maps intensities to histogram bins with NumPy's edges (see <see cref="HistogramBinning"/>): values below the
/// range go to bin 0, above it to the last bin, NaN to bin 0.
/// </summary>
internal readonly struct Quantizer
{
    private readonly double _min;
    private readonly double _max;
    private readonly double _step;
    private readonly int _bins;

    public Quantizer(double min, double max, int bins)
    {
        if (!(max > min))
        {
            // NumPy widens an empty range by 0.5 on either side.
            min -= 0.5;
            max += 0.5;
        }

        _min = min;
        _max = max;
        _bins = bins;
        _step = (max - min) / bins;
    }

    public int Bins => _bins;

    public int Bin(double x)
    {
        if (x >= _max)
        {
            return _bins - 1;
        }

        if (!(x > _min))
        {
            return 0;
        }

        var k = (int)((x - _min) / _step);
        if (k >= _bins)
        {
            k = _bins - 1;
        }

        // Correct the estimate against the edges NumPy uses (k * step + min), so that values on an edge agree.
        while (k > 0 && x < (k * _step) + _min)
        {
            k--;
        }

        while (k + 1 < _bins && x >= ((k + 1) * _step) + _min)
        {
            k++;
        }

        return k;
    }

    public void Bin(ReadOnlySpan<float> values, Span<byte> bins)
    {
        for (var i = 0; i < values.Length; i++)
        {
            bins[i] = (byte)Bin(values[i]);
        }
    }

    public static (double Min, double Max) RangeOf(ReadOnlySpan<float> values)
    {
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        return double.IsFinite(min) ? (min, max) : (0, 0);
    }
}
