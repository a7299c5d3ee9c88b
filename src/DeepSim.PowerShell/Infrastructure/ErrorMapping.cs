using System.Management.Automation;
using DeepSim.Archive;
using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>Maps core exceptions to PowerShell error categories: the one place that decides a category.</summary>
internal static class ErrorMapping
{
    /// <summary>True for the exceptions the file system throws for a path that cannot be read or written.</summary>
    public static bool IsIoFailure(Exception e) => e is IOException or UnauthorizedAccessException or System.Security.SecurityException;

    /// <summary>
    /// The category of an I/O failure: a missing file or folder is ObjectNotFound, a refused access PermissionDenied,
    /// anything else ReadError or WriteError by <paramref name="writing"/>. Image reads use the same categories.
    /// </summary>
    public static ErrorCategory Category(Exception ioFailure, bool writing) => ioFailure switch
    {
        FileNotFoundException or DirectoryNotFoundException => ErrorCategory.ObjectNotFound,
        UnauthorizedAccessException or System.Security.SecurityException => ErrorCategory.PermissionDenied,
        _ => writing ? ErrorCategory.WriteError : ErrorCategory.ReadError,
    };

    public static ErrorCategory Category(ImageReadError error) => error switch
    {
        ImageReadError.FileNotFound => Category(new FileNotFoundException(), writing: false),
        ImageReadError.AccessDenied => Category(new UnauthorizedAccessException(), writing: false),
        ImageReadError.UnsupportedEncoding => ErrorCategory.NotImplemented,
        ImageReadError.NotAnImage => ErrorCategory.InvalidType,
        ImageReadError.UnknownFormat => ErrorCategory.InvalidData,
        _ => ErrorCategory.InvalidData,
    };

    public static ErrorCategory Category(PatchSamplingError error) => error switch
    {
        PatchSamplingError.ImageGeometryMismatch => ErrorCategory.InvalidArgument,
        PatchSamplingError.MaskMismatch => ErrorCategory.InvalidArgument,
        PatchSamplingError.InvalidPatchSize => ErrorCategory.InvalidArgument,
        PatchSamplingError.EmptyRegion => ErrorCategory.InvalidData,
        PatchSamplingError.DimensionMismatch => ErrorCategory.InvalidArgument,
        _ => ErrorCategory.InvalidArgument,
    };

    public static ErrorCategory Category(DicomWebError error) => error switch
    {
        DicomWebError.Unreachable => ErrorCategory.ConnectionError,
        DicomWebError.Timeout => ErrorCategory.OperationTimeout,
        DicomWebError.Unauthorized => ErrorCategory.AuthenticationError,
        DicomWebError.Forbidden => ErrorCategory.PermissionDenied,
        DicomWebError.NotFound => ErrorCategory.ObjectNotFound,
        DicomWebError.NotDicom => ErrorCategory.InvalidData,
        DicomWebError.IncompleteSeries => ErrorCategory.InvalidData,
        DicomWebError.BadResponse => ErrorCategory.ProtocolError,
        _ => ErrorCategory.ProtocolError,
    };
}
