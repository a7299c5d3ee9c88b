namespace DeepSim.Evaluation;

/// <summary>Summary statistics of per-query prediction errors.</summary>
public static class ErrorStatistics
{
    /// <summary>
    /// The q-th percentile (0..100) by linear interpolation between order statistics (NumPy's default):
    /// position q/100 * (n - 1) in the sorted values.
    /// </summary>
    public static double Percentile(IReadOnlyList<double> sortedValues, double q)
    {
        ArgumentNullException.ThrowIfNull(sortedValues);
        if (sortedValues.Count == 0)
        {
            return double.NaN;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 100);
        var position = q / 100 * (sortedValues.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sortedValues.Count - 1);
        return sortedValues[lower] + ((position - lower) * (sortedValues[upper] - sortedValues[lower]));
    }

    /// <summary>Arithmetic mean (NaN when empty).</summary>
    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Sum() / values.Count;

    /// <summary>Sample standard deviation (n - 1 in the denominator; 0 for a single value, NaN when empty).</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        if (values.Count == 1)
        {
            return 0;
        }

        var mean = Mean(values);
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>Fraction of values equal to 0 (the hit rate of prediction errors).</summary>
    public static double FractionZero(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Count(v => v == 0) / (double)values.Count;
}
