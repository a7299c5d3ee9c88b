namespace DeepSim.Registration;

/// <summary>
/// ITK's AffineTransform: T(x) = A (x - c) + c + t. Parameters: A row by row, then t (D^2 + D values); fixed
/// parameters: the centre c.
/// </summary>
public sealed class AffineTransform : LinearTransform
{
    private readonly double[] _matrix;
    private readonly double[] _translation;
    private readonly double[] _center;

    /// <summary>Creates the transform from a row-major D x D matrix, a translation and a centre (default 0).</summary>
    public AffineTransform(IReadOnlyList<double> matrix, IReadOnlyList<double> translation, IReadOnlyList<double>? center = null)
    {
        ArgumentNullException.ThrowIfNull(translation);
        var d = translation.Count;
        TransformChecks.Dimension(d, nameof(translation));
        TransformChecks.Length(matrix, d * d, nameof(matrix));
        TransformChecks.Length(translation, d, nameof(translation));
        TransformChecks.Length(center ?? new double[d], d, nameof(center));
        _matrix = [.. matrix];
        _translation = [.. translation];
        _center = center is null ? new double[d] : [.. center];
    }

    /// <summary>The identity in <paramref name="dimension"/> dimensions.</summary>
    public static AffineTransform Identity(int dimension) => new(MatrixMath.Identity(dimension), new double[dimension]);

    /// <summary>T(x) = A x + o, expressed about the centre <paramref name="center"/> (t = o + A c - c).</summary>
    public static AffineTransform FromMatrixOffset(IReadOnlyList<double> matrix, IReadOnlyList<double> offset, IReadOnlyList<double>? center = null)
    {
        var d = offset.Count;
        var c = center is null ? new double[d] : center.ToArray();
        var t = new double[d];
        for (var i = 0; i < d; i++)
        {
            var ac = 0.0;
            for (var j = 0; j < d; j++)
            {
                ac += matrix[(i * d) + j] * c[j];
            }

            t[i] = offset[i] + ac - c[i];
        }

        return new AffineTransform(matrix, t, c);
    }

    /// <inheritdoc />
    public override int Dimension => _translation.Length;

    /// <inheritdoc />
    public override string ItkClassName => $"AffineTransform_double_{Dimension}_{Dimension}";

    /// <inheritdoc />
    public override double[] Parameters => [.. _matrix, .. _translation];

    /// <inheritdoc />
    public override double[] FixedParameters => [.. _center];

    /// <inheritdoc />
    public override double[] Matrix => [.. _matrix];

    /// <inheritdoc />
    public override double[] Center => [.. _center];

    /// <inheritdoc />
    public override double[] Translation => [.. _translation];
}
