namespace DeepSim.Registration;

/// <summary>
/// A chain of transforms, ITK's CompositeTransform: <see cref="Transforms"/> in ITK's queue order, the last one applied
/// first. T(x) = T0(T1(...Tn(x))). A registration that starts from an initial transform T0 and refines it with T1
/// gives Composite[T0, T1].
/// </summary>
public sealed class CompositeTransform : IImageTransform
{
    private readonly IImageTransform[] _transforms;

    /// <summary>Creates the chain (ITK order: the last is applied first).</summary>
    public CompositeTransform(IReadOnlyList<IImageTransform> transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Count == 0)
        {
            throw new ArgumentException("A composite transform needs at least one transform.", nameof(transforms));
        }

        var d = transforms[0].Dimension;
        if (transforms.Any(t => t.Dimension != d))
        {
            throw new ArgumentException("All transforms of a composite must have the same dimension.", nameof(transforms));
        }

        _transforms = [.. transforms];
    }

    /// <summary>The transforms in ITK's queue order (the last is applied first).</summary>
    public IReadOnlyList<IImageTransform> Transforms => _transforms;

    /// <inheritdoc />
    public int Dimension => _transforms[0].Dimension;

    /// <summary>ITK's class name.</summary>
    public string ItkClassName => $"CompositeTransform_double_{Dimension}_{Dimension}";

    /// <inheritdoc />
    public double[] TransformPoint(double[] point)
    {
        var p = point;
        for (var i = _transforms.Length - 1; i >= 0; i--)
        {
            p = _transforms[i].TransformPoint(p);
        }

        return p;
    }

    /// <inheritdoc />
    public override string ToString() => $"CompositeTransform [{string.Join(", ", _transforms.Select(t => t.GetType().Name))}]";
}
