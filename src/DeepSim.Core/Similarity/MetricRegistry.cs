namespace DeepSim.Similarity;

/// <summary>The built-in similarity measures by name (case-insensitive): NMI, MI, NCC, LCC, CorrelationRatio.</summary>
public static class MetricRegistry
{
    private static readonly (string Name, Func<ClassicalMetricOptions, ClassicalSimilarityMetric> Create)[] _factories =
    [
        (NormalizedMutualInformationMetric.MetricName, o => new NormalizedMutualInformationMetric(o.Binning) { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism }),
        (MutualInformationMetric.MetricName, o => new MutualInformationMetric(o.Binning) { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism }),
        (NormalizedCrossCorrelationMetric.MetricName, o => new NormalizedCrossCorrelationMetric { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism }),
        (LocalCrossCorrelationMetric.MetricName, o => new LocalCrossCorrelationMetric(o.LccWindowRadius, o.LccSquared) { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism }),
        (CorrelationRatioMetric.MetricName, o => new CorrelationRatioMetric(o.Binning) { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism }),
    ];

    /// <summary>The built-in names in their canonical spelling (for tab completion and validation).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. _factories.Select(f => f.Name)];

    /// <summary>True when the name (any case) is a built-in measure.</summary>
    public static bool Contains(string? name) => name is not null && Names.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Creates a built-in measure, or returns false for an unknown name.</summary>
    public static bool TryCreate(string? name, out ISimilarityMetric metric) => TryCreate(name, null, out metric);

    /// <summary>Creates a built-in measure with options, or returns false for an unknown name.</summary>
    public static bool TryCreate(string? name, ClassicalMetricOptions? options, out ISimilarityMetric metric)
    {
        foreach (var (n, create) in _factories)
        {
            if (string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                metric = create(options ?? new ClassicalMetricOptions());
                return true;
            }
        }

        metric = null!;
        return false;
    }

    /// <summary>Creates a built-in measure; throws <see cref="UnknownMetricException"/> listing the valid names otherwise.</summary>
    public static ISimilarityMetric Create(string name, ClassicalMetricOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryCreate(name, options, out var metric) ? metric : throw new UnknownMetricException(name, Names);
    }
}
