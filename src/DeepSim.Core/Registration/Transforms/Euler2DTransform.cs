namespace DeepSim.Registration;

/// <summary>
/// A 2D rigid transform, ITK's Euler2DTransform: T(x) = R(angle) (x - c) + c + t with R = [cos -sin; sin cos] (a
/// positive angle turns +x towards +y). Parameters [angle (radians), tx, ty]; fixed parameters [cx, cy].
/// </summary>
public sealed class Euler2DTransform : LinearTransform
{
    private readonly double[] _center;
    private readonly double[] _translation;

    /// <summary>Creates the transform; <paramref name="angle"/> in radians, translation and centre in mm.</summary>
    public Euler2DTransform(double angle, IReadOnlyList<double> translation, IReadOnlyList<double>? center = null)
    {
        TransformChecks.Length(translation, 2, nameof(translation));
        TransformChecks.Length(center ?? [0.0, 0.0], 2, nameof(center));
        if (!double.IsFinite(angle))
        {
            throw new ArgumentException("The angle must be finite.", nameof(angle));
        }

        Angle = angle;
        _translation = [.. translation];
        _center = center is null ? [0, 0] : [.. center];
    }

    /// <summary>The rotation angle in radians.</summary>
    public double Angle { get; }

    /// <summary>The rotation angle in degrees.</summary>
    public double AngleDegrees => Angle * 180 / Math.PI;

    /// <inheritdoc />
    public override int Dimension => 2;

    /// <inheritdoc />
    public override string ItkClassName => "Euler2DTransform_double_2_2";

    /// <inheritdoc />
    public override double[] Parameters => [Angle, _translation[0], _translation[1]];

    /// <inheritdoc />
    public override double[] FixedParameters => [.. _center];

    /// <inheritdoc />
    public override double[] Matrix => [Math.Cos(Angle), -Math.Sin(Angle), Math.Sin(Angle), Math.Cos(Angle)];

    /// <inheritdoc />
    public override double[] Center => [.. _center];

    /// <inheritdoc />
    public override double[] Translation => [.. _translation];

    /// <summary>The inverse, itself an Euler2D transform about the same centre.</summary>
    public override LinearTransform GetInverse()
    {
        var inv = base.GetInverse();
        return new Euler2DTransform(-Angle, inv.Translation, _center);
    }
}
