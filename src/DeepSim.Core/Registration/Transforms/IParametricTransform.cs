namespace DeepSim.Registration;

/// <summary>
/// A transform described, as in ITK, by a class name, a parameter vector (what registration optimises) and fixed
/// parameters (centre of rotation, B-spline grid geometry ...). This is what ITK's <c>.tfm</c> files store.
/// </summary>
public interface IParametricTransform : IImageTransform
{
    /// <summary>ITK's class name with its template arguments, e.g. <c>Euler2DTransform_double_2_2</c>.</summary>
    string ItkClassName { get; }

    /// <summary>The optimisable parameters in ITK's order (a copy).</summary>
    double[] Parameters { get; }

    /// <summary>The fixed parameters in ITK's order (a copy).</summary>
    double[] FixedParameters { get; }
}
