namespace DeepSim.Evaluation;

/// <summary>A displacement (dx, dy) of a candidate patch from the query centre, in voxels.</summary>
public readonly record struct SearchOffset(int Dx, int Dy)
{
    /// <summary>The zero offset (the true position of an aligned pair).</summary>
    public static SearchOffset Zero => default;

    /// <summary>Chebyshev distance max(|dx|, |dy|).</summary>
    public int ChebyshevLength => Math.Max(Math.Abs(Dx), Math.Abs(Dy));

    /// <inheritdoc />
    public override string ToString() => $"({Dx},{Dy})";
}
