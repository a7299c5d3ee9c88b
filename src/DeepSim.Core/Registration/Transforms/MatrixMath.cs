namespace DeepSim.Registration;

/// <summary>Small dense matrix helpers (row-major, D x D with D = 2 or 3).</summary>
internal static class MatrixMath
{
    public static double[] Identity(int d)
    {
        var m = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            m[(i * d) + i] = 1;
        }

        return m;
    }

    public static double[] Multiply(double[] a, double[] b, int d)
    {
        var m = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                var s = 0.0;
                for (var k = 0; k < d; k++)
                {
                    s += a[(i * d) + k] * b[(k * d) + j];
                }

                m[(i * d) + j] = s;
            }
        }

        return m;
    }

    /// <summary>The product of the D x D matrix <paramref name="m"/> (row-major) and the vector <paramref name="v"/>.</summary>
    public static double[] Apply(double[] m, double[] v, int d)
    {
        var r = new double[d];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                r[i] += m[(i * d) + j] * v[j];
            }
        }

        return r;
    }

    public static double Determinant(double[] a, int d) => d switch
    {
        2 => (a[0] * a[3]) - (a[1] * a[2]),
        3 => (a[0] * ((a[4] * a[8]) - (a[5] * a[7]))) - (a[1] * ((a[3] * a[8]) - (a[5] * a[6]))) + (a[2] * ((a[3] * a[7]) - (a[4] * a[6]))),
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "Only 2D and 3D matrices."),
    };

    public static double[] Invert(double[] a, int d)
    {
        var det = Determinant(a, d);
        var scale = 0.0;
        foreach (var v in a)
        {
            scale = Math.Max(scale, Math.Abs(v));
        }

        if (Math.Abs(det) <= 1e-12 * Math.Pow(Math.Max(scale, 1e-300), d))
        {
            throw new InvalidOperationException("The transform's matrix is singular and has no inverse.");
        }

        if (d == 2)
        {
            return [a[3] / det, -a[1] / det, -a[2] / det, a[0] / det];
        }

        return
        [
            ((a[4] * a[8]) - (a[5] * a[7])) / det, ((a[2] * a[7]) - (a[1] * a[8])) / det, ((a[1] * a[5]) - (a[2] * a[4])) / det,
            ((a[5] * a[6]) - (a[3] * a[8])) / det, ((a[0] * a[8]) - (a[2] * a[6])) / det, ((a[2] * a[3]) - (a[0] * a[5])) / det,
            ((a[3] * a[7]) - (a[4] * a[6])) / det, ((a[1] * a[6]) - (a[0] * a[7])) / det, ((a[0] * a[4]) - (a[1] * a[3])) / det,
        ];
    }

    /// <summary>ITK's Euler3D rotation matrix: Rz Rx Ry (default), or Rz Ry Rx when <paramref name="zyx"/> is set.</summary>
    public static double[] Euler3D(double ax, double ay, double az, bool zyx)
    {
        double cx = Math.Cos(ax), sx = Math.Sin(ax), cy = Math.Cos(ay), sy = Math.Sin(ay), cz = Math.Cos(az), sz = Math.Sin(az);
        double[] rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
        double[] ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
        double[] rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
        return zyx ? Multiply(rz, Multiply(ry, rx, 3), 3) : Multiply(rz, Multiply(rx, ry, 3), 3);
    }

    /// <summary>
    /// The angles (ax, ay, az) with R = Rz Rx Ry (ITK's Euler3DTransform, ComputeZYX off), as ITK's
    /// Euler3DTransform::SetMatrix computes them.
    /// </summary>
    public static (double Ax, double Ay, double Az) EulerZxyAngles(double[] r)
    {
        var ax = Math.Asin(Math.Clamp(r[7], -1, 1));
        var a = Math.Cos(ax);
        if (Math.Abs(a) > 1e-5)
        {
            var ay = Math.Atan2(-r[6] / a, r[8] / a);
            var az = Math.Atan2(-r[1] / a, r[4] / a);
            return (ax, ay, az);
        }

        return (ax, 0, Math.Atan2(r[3], r[0]));
    }
}
