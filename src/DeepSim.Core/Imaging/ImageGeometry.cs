namespace DeepSim.Imaging;

/// <summary>Physical geometry of a voxel grid: spacing (mm), origin (mm) and a 3x3 direction matrix (row-major).</summary>
public sealed record ImageGeometry
{
    /// <summary>Unit spacing, zero origin, identity direction.</summary>
    public static ImageGeometry Identity { get; } = new([1, 1, 1], [0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 1]);

    /// <summary>Creates a geometry; arrays are copied.</summary>
    public ImageGeometry(IReadOnlyList<double> spacing, IReadOnlyList<double> origin, IReadOnlyList<double> direction)
    {
        if (spacing.Count != 3 || origin.Count != 3 || direction.Count != 9)
        {
            throw new ArgumentException("Geometry needs 3 spacings, 3 origin coordinates and 9 direction cosines.");
        }

        Spacing = [.. spacing];
        Origin = [.. origin];
        Direction = [.. direction];
    }

    /// <summary>Spacing along x, y, z in mm.</summary>
    public IReadOnlyList<double> Spacing { get; }

    /// <summary>Physical position of voxel (0,0,0).</summary>
    public IReadOnlyList<double> Origin { get; }

    /// <summary>Row-major 3x3 direction cosines; column j is index axis j.</summary>
    public IReadOnlyList<double> Direction { get; }

    /// <summary>Physical position of a (possibly fractional) index.</summary>
    public double[] IndexToPhysical(double i, double j, double k)
    {
        var si = i * Spacing[0];
        var sj = j * Spacing[1];
        var sk = k * Spacing[2];
        return
        [
            Origin[0] + (Direction[0] * si) + (Direction[1] * sj) + (Direction[2] * sk),
            Origin[1] + (Direction[3] * si) + (Direction[4] * sj) + (Direction[5] * sk),
            Origin[2] + (Direction[6] * si) + (Direction[7] * sj) + (Direction[8] * sk),
        ];
    }

    /// <summary>Component-wise comparison within a tolerance (relative for spacing, absolute for the rest).</summary>
    public bool ApproximatelyEquals(ImageGeometry other, double tolerance = 1e-4)
    {
        for (var i = 0; i < 3; i++)
        {
            if (Math.Abs(Spacing[i] - other.Spacing[i]) > tolerance * Math.Max(1, Math.Abs(Spacing[i])) ||
                Math.Abs(Origin[i] - other.Origin[i]) > tolerance * Math.Max(1, Math.Abs(Origin[i])))
            {
                return false;
            }
        }

        for (var i = 0; i < 9; i++)
        {
            if (Math.Abs(Direction[i] - other.Direction[i]) > tolerance)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"spacing ({string.Join(", ", Spacing.Select(s => s.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}) origin ({string.Join(", ", Origin.Select(s => s.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))})";

    /// <inheritdoc />
    public bool Equals(ImageGeometry? other) => other is not null && Spacing.SequenceEqual(other.Spacing) && Origin.SequenceEqual(other.Origin) && Direction.SequenceEqual(other.Direction);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Spacing[0], Spacing[1], Origin[0], Origin[1], Direction[0]);
}
