namespace DeepSim.Registration;

/// <summary>T(x) = x + t (ITK's TranslationTransform; parameters t, no fixed parameters).</summary>
public sealed class TranslationTransform : LinearTransform
{
    private readonly double[] _offset;

    /// <summary>Creates a translation by <paramref name="offset"/> (mm, 2 or 3 values).</summary>
    public TranslationTransform(IReadOnlyList<double> offset)
    {
        ArgumentNullException.ThrowIfNull(offset);
        TransformChecks.Dimension(offset.Count, nameof(offset));
        _offset = [.. offset];
    }

    /// <inheritdoc />
    public override int Dimension => _offset.Length;

    /// <inheritdoc />
    public override string ItkClassName => $"TranslationTransform_double_{Dimension}_{Dimension}";

    /// <inheritdoc />
    public override double[] Parameters => [.. _offset];

    /// <inheritdoc />
    public override double[] FixedParameters => [];

    /// <inheritdoc />
    public override double[] Matrix => MatrixMath.Identity(Dimension);

    /// <inheritdoc />
    public override double[] Center => new double[Dimension];

    /// <inheritdoc />
    public override double[] Translation => [.. _offset];

    /// <summary>The inverse, itself a translation.</summary>
    public override LinearTransform GetInverse() => new TranslationTransform([.. _offset.Select(v => -v)]);
}
