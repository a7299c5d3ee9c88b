namespace DeepSim.Evaluation;

/// <summary>The prediction-error protocol's outcome for one metric.</summary>
public sealed record PredictionErrorResult
{
    /// <summary>Metric name.</summary>
    public required string Metric { get; init; }

    /// <summary>What the errors were measured on (an image name, or how many image pairs were pooled); null if not recorded.</summary>
    public string? Source { get; init; }

    /// <summary>Number of queries.</summary>
    public int Count => Errors.Count;

    /// <summary>Mean prediction error.</summary>
    public double MeanError { get; init; }

    /// <summary>Median prediction error.</summary>
    public double MedianError { get; init; }

    /// <summary>Sample standard deviation of the prediction error.</summary>
    public double StdError { get; init; }

    /// <summary>Fraction of queries with error 0 (the top candidate lies in the true region).</summary>
    public double HitRate { get; init; }

    /// <summary>75th percentile of the error (linear interpolation).</summary>
    public double P75 { get; init; }

    /// <summary>90th percentile of the error.</summary>
    public double P90 { get; init; }

    /// <summary>95th percentile of the error.</summary>
    public double P95 { get; init; }

    /// <summary>Largest error.</summary>
    public double MaxError { get; init; }

    /// <summary>Per-query results, in the order of the centres.</summary>
    public required IReadOnlyList<PatchPredictionError> Errors { get; init; }

    /// <summary>The settings the result was obtained with.</summary>
    public PredictionErrorOptions? Options { get; init; }

    /// <summary>Summarises per-query errors.</summary>
    public static PredictionErrorResult FromErrors(string metric, IReadOnlyList<PatchPredictionError> errors, PredictionErrorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var values = errors.Select(e => (double)e.Error).ToArray();
        var sorted = values.Order().ToArray();
        return new PredictionErrorResult
        {
            Metric = metric,
            Errors = errors,
            Options = options,
            MeanError = ErrorStatistics.Mean(values),
            MedianError = ErrorStatistics.Percentile(sorted, 50),
            StdError = ErrorStatistics.StandardDeviation(values),
            HitRate = ErrorStatistics.FractionZero(values),
            P75 = ErrorStatistics.Percentile(sorted, 75),
            P90 = ErrorStatistics.Percentile(sorted, 90),
            P95 = ErrorStatistics.Percentile(sorted, 95),
            MaxError = sorted.Length == 0 ? double.NaN : sorted[^1],
        };
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Metric}: mean {MeanError:F2} median {MedianError:F1} std {StdError:F2} hit rate {HitRate:P1} (n = {Count})");
}
