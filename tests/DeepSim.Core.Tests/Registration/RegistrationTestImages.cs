using DeepSim.Imaging;
using DeepSim.Registration;

namespace DeepSim.Tests.Registration;

/// <summary>Self-made images for registration tests: smooth blobs, and their exact resampling through a known transform.</summary>
internal static class RegistrationTestImages
{
    /// <summary>A 2D image of a few Gaussian blobs of different sizes and brightness (asymmetric, so rotations are identifiable).</summary>
    public static MedicalImage Blobs2D(int size = 96, double spacing = 1.0)
    {
        var v = new float[size * size];
        (double X, double Y, double S, double A)[] blobs = [(0.35, 0.40, 0.12, 1.0), (0.65, 0.35, 0.08, 0.7), (0.55, 0.70, 0.10, 0.5), (0.30, 0.72, 0.05, 0.9)];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                double s = 0;
                foreach (var b in blobs)
                {
                    var dx = (x / (double)size) - b.X;
                    var dy = (y / (double)size) - b.Y;
                    s += b.A * Math.Exp(-((dx * dx) + (dy * dy)) / (2 * b.S * b.S));
                }

                v[x + (size * y)] = (float)(100 * s);
            }
        }

        return new MedicalImage(v, size, size, 1, new ImageGeometry([spacing, spacing, 1], [0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 1]));
    }

    /// <summary>A 3D image of Gaussian blobs.</summary>
    public static MedicalImage Blobs3D(int size = 32)
    {
        var v = new float[size * size * size];
        (double X, double Y, double Z, double S, double A)[] blobs = [(0.35, 0.40, 0.45, 0.14, 1.0), (0.65, 0.35, 0.6, 0.10, 0.7), (0.55, 0.70, 0.35, 0.12, 0.5)];
        for (var z = 0; z < size; z++)
        {
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    double s = 0;
                    foreach (var b in blobs)
                    {
                        var dx = (x / (double)size) - b.X;
                        var dy = (y / (double)size) - b.Y;
                        var dz = (z / (double)size) - b.Z;
                        s += b.A * Math.Exp(-((dx * dx) + (dy * dy) + (dz * dz)) / (2 * b.S * b.S));
                    }

                    v[x + (size * (y + (size * z)))] = (float)(100 * s);
                }
            }
        }

        return new MedicalImage(v, size, size, size);
    }

    /// <summary>
    /// The moving image of a known transform T: moving(T(x)) = fixed(x), i.e. moving(y) = fixed(T^-1(y)), sampled
    /// bilinearly/trilinearly on the fixed grid. <paramref name="intensity"/> remaps values (a second "modality").
    /// </summary>
    public static MedicalImage Warp(MedicalImage image, LinearTransform transform, Func<float, float>? intensity = null)
    {
        var inverse = transform.GetInverse();
        var d = image.Dimension;
        var v = new float[image.VoxelCount];
        var i = 0;
        for (var z = 0; z < image.SizeZ; z++)
        {
            for (var y = 0; y < image.SizeY; y++)
            {
                for (var x = 0; x < image.SizeX; x++, i++)
                {
                    var p = image.Geometry.IndexToPhysical(x, y, z)[..d];
                    var q = inverse.TransformPoint(p);
                    var s = image.Geometry.Spacing;
                    var val = Interpolate(image, q[0] / s[0], q[1] / s[1], d == 3 ? q[2] / s[2] : 0);
                    v[i] = intensity is null ? val : intensity(val);
                }
            }
        }

        return new MedicalImage(v, image.SizeX, image.SizeY, image.SizeZ, image.Geometry);
    }

    private static float Interpolate(MedicalImage image, double x, double y, double z)
    {
        if (x < 0 || y < 0 || z < 0 || x > image.SizeX - 1 || y > image.SizeY - 1 || z > image.SizeZ - 1)
        {
            return 0;
        }

        int x0 = Math.Min((int)x, image.SizeX - 2), y0 = Math.Min((int)y, image.SizeY - 2), z0 = image.SizeZ > 1 ? Math.Min((int)z, image.SizeZ - 2) : 0;
        double fx = x - x0, fy = y - y0, fz = z - z0;
        double Plane(int zz) =>
            ((1 - fy) * (((1 - fx) * image[x0, y0, zz]) + (fx * image[x0 + 1, y0, zz]))) +
            (fy * (((1 - fx) * image[x0, y0 + 1, zz]) + (fx * image[x0 + 1, y0 + 1, zz])));
        return (float)(image.SizeZ > 1 ? ((1 - fz) * Plane(z0)) + (fz * Plane(z0 + 1)) : Plane(0));
    }
}
