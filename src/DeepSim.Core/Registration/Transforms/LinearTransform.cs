using System.Globalization;

namespace DeepSim.Registration;

/// <summary>
/// A transform of the form T(x) = A (x - c) + c + t, as ITK's MatrixOffsetTransformBase: a D x D matrix A (row-major),
/// a centre c and a translation t. Translation, Euler (rigid) and affine transforms derive from it; any two compose into
/// an <see cref="AffineTransform"/> and each has an exact inverse.
/// </summary>
public abstract class LinearTransform : IParametricTransform
{
    /// <inheritdoc />
    public abstract int Dimension { get; }

    /// <inheritdoc />
    public abstract string ItkClassName { get; }

    /// <inheritdoc />
    public abstract double[] Parameters { get; }

    /// <inheritdoc />
    public abstract double[] FixedParameters { get; }

    /// <summary>The matrix A, row-major D x D (a copy).</summary>
    public abstract double[] Matrix { get; }

    /// <summary>The centre c of rotation/scaling in mm (a copy).</summary>
    public abstract double[] Center { get; }

    /// <summary>The translation t in mm (a copy).</summary>
    public abstract double[] Translation { get; }

    /// <summary>The offset o = t + c - A c, so that T(x) = A x + o.</summary>
    public double[] Offset
    {
        get
        {
            var a = Matrix;
            var c = Center;
            var t = Translation;
            var d = Dimension;
            var o = new double[d];
            for (var i = 0; i < d; i++)
            {
                var ac = 0.0;
                for (var j = 0; j < d; j++)
                {
                    ac += a[(i * d) + j] * c[j];
                }

                o[i] = t[i] + c[i] - ac;
            }

            return o;
        }
    }

    /// <inheritdoc />
    public double[] TransformPoint(double[] point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var d = Dimension;
        if (point.Length != d)
        {
            throw new ArgumentException($"A {d}D transform maps points of {d} coordinates, got {point.Length}.", nameof(point));
        }

        var a = Matrix;
        var o = Offset;
        var y = new double[d];
        for (var i = 0; i < d; i++)
        {
            var s = o[i];
            for (var j = 0; j < d; j++)
            {
                s += a[(i * d) + j] * point[j];
            }

            y[i] = s;
        }

        return y;
    }

    /// <summary>The exact inverse as an affine transform with the same centre: T^-1(y) = A^-1 (y - c) + c - A^-1 t.</summary>
    /// <exception cref="InvalidOperationException">The matrix is singular.</exception>
    public virtual LinearTransform GetInverse()
    {
        var d = Dimension;
        var inv = MatrixMath.Invert(Matrix, d);
        var c = Center;
        var t = Translation;
        var it = new double[d];
        for (var i = 0; i < d; i++)
        {
            var s = 0.0;
            for (var j = 0; j < d; j++)
            {
                s -= inv[(i * d) + j] * t[j];
            }

            it[i] = s;
        }

        return new AffineTransform(inv, it, c);
    }

    /// <summary>
    /// The composition "first this, then <paramref name="outer"/>": x -> outer(this(x)), as one affine transform
    /// (centred at this transform's centre).
    /// </summary>
    public AffineTransform ComposeWith(LinearTransform outer)
    {
        ArgumentNullException.ThrowIfNull(outer);
        var d = Dimension;
        if (outer.Dimension != d)
        {
            throw new ArgumentException($"Cannot compose a {d}D transform with a {outer.Dimension}D one.", nameof(outer));
        }

        var a1 = Matrix;
        var a2 = outer.Matrix;
        var a = MatrixMath.Multiply(a2, a1, d);
        var o1 = Offset;
        var o2 = outer.Offset;
        var o = new double[d];
        for (var i = 0; i < d; i++)
        {
            var s = o2[i];
            for (var j = 0; j < d; j++)
            {
                s += a2[(i * d) + j] * o1[j];
            }

            o[i] = s;
        }

        return AffineTransform.FromMatrixOffset(a, o, Center);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{GetType().Name} ({string.Join(", ", Parameters.Select(p => p.ToString("G6", CultureInfo.InvariantCulture)))})";
}
