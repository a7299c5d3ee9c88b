namespace DeepSim.Registration;

/// <summary>
/// A spatial transform in the ITK convention: it maps a physical point (mm) of the fixed image's space into the moving
/// image's space, so that resampling the moving image onto the fixed grid reads moving(T(x)) at every fixed point x.
/// Implemented by every transform that registration produces; consumed by resampling, file I/O and alignment checks.
/// </summary>
public interface IImageTransform
{
    /// <summary>2 or 3: the number of coordinates <see cref="TransformPoint"/> takes and returns.</summary>
    int Dimension { get; }

    /// <summary>Maps a physical point of the fixed image (length <see cref="Dimension"/>) into the moving image.</summary>
    double[] TransformPoint(double[] point);
}
