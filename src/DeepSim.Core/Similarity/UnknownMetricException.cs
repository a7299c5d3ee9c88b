namespace DeepSim.Similarity;

/// <summary>Thrown when a metric name is not one of the built-in measures.</summary>
public sealed class UnknownMetricException : ArgumentException
{
    /// <summary>Creates the exception for a name, listing the valid names.</summary>
    public UnknownMetricException(string name, IReadOnlyList<string> validNames)
        : base($"Unknown similarity metric '{name}'. Valid names: {string.Join(", ", validNames)}.", nameof(name))
    {
        MetricName = name;
        ValidNames = validNames;
    }

    /// <summary>The name that was asked for.</summary>
    public string MetricName { get; }

    /// <summary>The names that would have worked.</summary>
    public IReadOnlyList<string> ValidNames { get; }
}
