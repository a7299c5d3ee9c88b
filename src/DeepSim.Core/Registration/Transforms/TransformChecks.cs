namespace DeepSim.Registration;

/// <summary>Argument checks shared by the transforms.</summary>
internal static class TransformChecks
{
    public static void Dimension(int d, string name)
    {
        if (d is not (2 or 3))
        {
            throw new ArgumentException($"Transforms are 2D or 3D; got {d} values.", name);
        }
    }

    public static void Length(IReadOnlyList<double> values, int expected, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Count != expected)
        {
            throw new ArgumentException($"Expected {expected} values, got {values.Count}.", name);
        }

        foreach (var v in values)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("Transform values must be finite numbers.", name);
            }
        }
    }
}
