using System.Management.Automation;
using DeepSim.Archive;
using DeepSim.Imaging;
using DeepSim.Patches;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>Maps core exceptions to PowerShell error categories.</summary>
internal static class ErrorMapping
{
    public static ErrorCategory Category(ImageReadError error) => error switch
    {
        ImageReadError.FileNotFound => ErrorCategory.ObjectNotFound,
        ImageReadError.AccessDenied => ErrorCategory.PermissionDenied,
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
