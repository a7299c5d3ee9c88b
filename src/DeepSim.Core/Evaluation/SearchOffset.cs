namespace DeepSim.Evaluation;

/// <summary>A displacement (dx, dy, dz) of a candidate patch from the query centre, in voxels; dz = 0 in a 2D search.</summary>
public readonly record struct SearchOffset(int Dx, int Dy, int Dz = 0)
{
    /// <summary>The zero offset (the true position of an aligned pair).</summary>
    public static SearchOffset Zero => default;

    /// <summary>Chebyshev distance max(|dx|, |dy|, |dz|).</summary>
    public int ChebyshevLength => Math.Max(Math.Max(Math.Abs(Dx), Math.Abs(Dy)), Math.Abs(Dz));

    /// <inheritdoc />
    public override string ToString() => Dz == 0 ? $"({Dx},{Dy})" : $"({Dx},{Dy},{Dz})";
}
