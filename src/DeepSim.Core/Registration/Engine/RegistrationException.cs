namespace DeepSim.Registration;

/// <summary>Why a registration cannot run or had to stop; each maps to a stable PowerShell ErrorId.</summary>
public enum RegistrationError
{
    /// <summary>The fixed and moving images differ in dimension (2D against 3D).</summary>
    DimensionMismatch,

    /// <summary>The transform maps (almost) all samples outside the moving image.</summary>
    TransformLeavesImage,

    /// <summary>A patch metric's patch does not fit the coarsest pyramid level.</summary>
    PatchSizeTooLarge,

    /// <summary>A mask is not on its image's grid, or selects nothing.</summary>
    InvalidMask,

    /// <summary>The metric cannot drive a registration (no differentiable form).</summary>
    UnsupportedMetric,

    /// <summary>An image is too small for the pyramid, or flat.</summary>
    ImageTooSmall,
}

/// <summary>A registration could not run or had to stop.</summary>
public sealed class RegistrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistrationException(RegistrationError error, string message, Exception? inner = null)
        : base(message, inner) => Error = error;

    /// <summary>What went wrong.</summary>
    public RegistrationError Error { get; }
}
