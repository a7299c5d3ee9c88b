namespace DeepSim.Evaluation;

/// <summary>A statistic with a confidence interval.</summary>
/// <param name="Estimate">The statistic on the original sample.</param>
/// <param name="Lower">Lower bound of the interval.</param>
/// <param name="Upper">Upper bound of the interval.</param>
public readonly record struct ConfidenceInterval(double Estimate, double Lower, double Upper)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Estimate:G4} [{Lower:G4}, {Upper:G4}]");
}

/// <summary>Bootstrap intervals of the summary statistics of per-query prediction errors.</summary>
/// <param name="Mean">Mean error.</param>
/// <param name="Median">Median error.</param>
/// <param name="Std">Sample standard deviation of the error.</param>
/// <param name="HitRate">Fraction of zero errors.</param>
/// <param name="Confidence">Confidence level, e.g. 0.95.</param>
/// <param name="Resamples">Number of bootstrap resamples.</param>
public sealed record BootstrapSummary(ConfidenceInterval Mean, ConfidenceInterval Median, ConfidenceInterval Std, ConfidenceInterval HitRate, double Confidence, int Resamples);

/// <summary>
/// Percentile bootstrap: resample the per-query errors with replacement, recompute each statistic, and take the
/// (1 - c)/2 and (1 + c)/2 percentiles of the resampled statistics (linear interpolation). Deterministic for a seed.
/// </summary>
public static class BootstrapInterval
{
    /// <summary>Intervals of mean, median, std and hit rate of a result's errors.</summary>
    public static BootstrapSummary Compute(PredictionErrorResult result, int resamples = 2000, int seed = 1, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Compute([.. result.Errors.Select(e => (double)e.Error)], resamples, seed, confidence);
    }

    /// <summary>Intervals of mean, median, std and hit rate of a sample of errors.</summary>
    public static BootstrapSummary Compute(IReadOnlyList<double> errors, int resamples = 2000, int seed = 1, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("The bootstrap needs at least one value.", nameof(errors));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 10);
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Confidence must lie strictly between 0 and 1.");
        }

        var n = errors.Count;
        var random = new Random(seed);
        var sample = new double[n];
        var means = new double[resamples];
        var medians = new double[resamples];
        var stds = new double[resamples];
        var hits = new double[resamples];
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < n; i++)
            {
                sample[i] = errors[random.Next(n)];
            }

            means[b] = ErrorStatistics.Mean(sample);
            stds[b] = ErrorStatistics.StandardDeviation(sample);
            hits[b] = ErrorStatistics.FractionZero(sample);
            Array.Sort(sample);
            medians[b] = ErrorStatistics.Percentile(sample, 50);
        }

        var sorted = errors.Order().ToArray();
        return new BootstrapSummary(
            Interval(ErrorStatistics.Mean(errors), means, confidence),
            Interval(ErrorStatistics.Percentile(sorted, 50), medians, confidence),
            Interval(ErrorStatistics.StandardDeviation(errors), stds, confidence),
            Interval(ErrorStatistics.FractionZero(errors), hits, confidence),
            confidence,
            resamples);
    }

    private static ConfidenceInterval Interval(double estimate, double[] statistics, double confidence)
    {
        Array.Sort(statistics);
        var alpha = (1 - confidence) / 2;
        return new ConfidenceInterval(estimate, ErrorStatistics.Percentile(statistics, 100 * alpha), ErrorStatistics.Percentile(statistics, 100 * (1 - alpha)));
    }
}
