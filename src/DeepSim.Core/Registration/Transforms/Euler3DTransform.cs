namespace DeepSim.Registration;

/// <summary>
/// A 3D rigid transform, ITK's Euler3DTransform: T(x) = R (x - c) + c + t with R = Rz Rx Ry (rotations about the
/// fixed axes, ITK's default; Rz Ry Rx when <see cref="ComputeZyx"/>). Parameters [ax, ay, az (radians), tx, ty, tz];
/// fixed parameters [cx, cy, cz, ComputeZYX (0 or 1)].
/// </summary>
public sealed class Euler3DTransform : LinearTransform
{
    private readonly double[] _angles;
    private readonly double[] _center;
    private readonly double[] _translation;

    /// <summary>Creates the transform; angles (x, y, z) in radians, translation and centre in mm.</summary>
    public Euler3DTransform(IReadOnlyList<double> angles, IReadOnlyList<double> translation, IReadOnlyList<double>? center = null, bool computeZyx = false)
    {
        TransformChecks.Length(angles, 3, nameof(angles));
        TransformChecks.Length(translation, 3, nameof(translation));
        TransformChecks.Length(center ?? [0.0, 0.0, 0.0], 3, nameof(center));
        _angles = [.. angles];
        _translation = [.. translation];
        _center = center is null ? [0, 0, 0] : [.. center];
        ComputeZyx = computeZyx;
    }

    /// <summary>Rotation angles about x, y, z in radians (a copy).</summary>
    public double[] Angles => [.. _angles];

    /// <summary>True for R = Rz Ry Rx instead of ITK's default Rz Rx Ry.</summary>
    public bool ComputeZyx { get; }

    /// <inheritdoc />
    public override int Dimension => 3;

    /// <inheritdoc />
    public override string ItkClassName => "Euler3DTransform_double_3_3";

    /// <inheritdoc />
    public override double[] Parameters => [.. _angles, .. _translation];

    /// <inheritdoc />
    public override double[] FixedParameters => [.. _center, ComputeZyx ? 1 : 0];

    /// <inheritdoc />
    public override double[] Matrix => MatrixMath.Euler3D(_angles[0], _angles[1], _angles[2], ComputeZyx);

    /// <inheritdoc />
    public override double[] Center => [.. _center];

    /// <inheritdoc />
    public override double[] Translation => [.. _translation];

    /// <summary>The total rotation angle (axis-angle magnitude) in degrees.</summary>
    public double RotationDegrees => RotationAngleDegrees(Matrix, 3);

    /// <summary>The inverse as an Euler3D transform (ZXY order) about the same centre.</summary>
    public override LinearTransform GetInverse()
    {
        var inv = base.GetInverse();
        var (ax, ay, az) = MatrixMath.EulerZxyAngles(inv.Matrix);
        return new Euler3DTransform([ax, ay, az], inv.Translation, _center);
    }

    /// <summary>The rotation angle (degrees) of a 2x2 or 3x3 rotation matrix (for 3D, the axis-angle magnitude).</summary>
    public static double RotationAngleDegrees(double[] r, int d)
    {
        var radians = d == 2 ? Math.Atan2(r[2], r[0]) : Math.Acos(Math.Clamp((r[0] + r[4] + r[8] - 1) / 2, -1, 1));
        return radians * 180 / Math.PI;
    }
}
