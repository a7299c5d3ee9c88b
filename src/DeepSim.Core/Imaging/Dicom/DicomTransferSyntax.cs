namespace DeepSim.Imaging.Dicom;

/// <summary>How the pixel data of a transfer syntax is encoded.</summary>
public enum DicomPixelEncoding
{
    /// <summary>Uncompressed (native) pixel data.</summary>
    Native,

    /// <summary>RLE lossless (PS3.5 annex G).</summary>
    Rle,

    /// <summary>JPEG lossless, process 14 (any predictor, including selection value 1).</summary>
    JpegLossless,

    /// <summary>A compression DeepSim does not decode (JPEG baseline/extended, JPEG-LS, JPEG 2000, HTJ2K, MPEG, ...).</summary>
    Unsupported,
}

/// <summary>A DICOM transfer syntax: byte order, VR encoding and pixel compression.</summary>
/// <param name="Uid">The transfer syntax UID.</param>
/// <param name="Name">Its name in PS3.6.</param>
/// <param name="ExplicitVr">True when the data set is encoded with explicit VR.</param>
/// <param name="BigEndian">True for explicit VR big endian.</param>
/// <param name="Deflated">True when the data set after the meta header is deflate-compressed.</param>
/// <param name="PixelEncoding">How pixel data is encoded.</param>
public sealed record DicomTransferSyntax(string Uid, string Name, bool ExplicitVr, bool BigEndian, bool Deflated, DicomPixelEncoding PixelEncoding)
{
    /// <summary>Implicit VR little endian (the default).</summary>
    public static DicomTransferSyntax ImplicitVrLittleEndian { get; } = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, DicomPixelEncoding.Native);

    /// <summary>Explicit VR little endian.</summary>
    public static DicomTransferSyntax ExplicitVrLittleEndian { get; } = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, DicomPixelEncoding.Native);

    /// <summary>Explicit VR big endian (retired).</summary>
    public static DicomTransferSyntax ExplicitVrBigEndian { get; } = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, true, false, DicomPixelEncoding.Native);

    private static readonly DicomTransferSyntax[] Known =
    [
        ImplicitVrLittleEndian,
        ExplicitVrLittleEndian,
        ExplicitVrBigEndian,
        new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, DicomPixelEncoding.Native),
        new("1.2.840.10008.1.2.5", "RLE Lossless", true, false, false, DicomPixelEncoding.Rle),
        new("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, false, false, DicomPixelEncoding.JpegLossless),
        new("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", true, false, false, DicomPixelEncoding.JpegLossless),
        new("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.91", "JPEG 2000", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Lossless", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Lossless", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options Lossless", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.110", "JPEG XL Lossless", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.4.112", "JPEG XL", true, false, false, DicomPixelEncoding.Unsupported),
        new("1.2.840.10008.1.2.8.1", "Deflated Image Frame Compression", true, false, false, DicomPixelEncoding.Unsupported),
    ];

    /// <summary>The syntax for a UID; an unknown UID is taken as an encapsulated explicit VR little endian syntax DeepSim cannot decode.</summary>
    public static DicomTransferSyntax FromUid(string uid)
    {
        foreach (var ts in Known)
        {
            if (ts.Uid == uid)
            {
                return ts;
            }
        }

        return new DicomTransferSyntax(uid, "unknown transfer syntax", true, false, false, DicomPixelEncoding.Unsupported);
    }

    /// <summary>How to convert a file in this syntax to one DeepSim reads (shown in errors).</summary>
    public string ConversionHint => Uid switch
    {
        "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" => "decompress it first, e.g. `dcmdjpeg in.dcm out.dcm` (dcmtk) or `gdcmconv --raw in.dcm out.dcm` (gdcm)",
        "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => "decompress it first, e.g. `dcmdjpls in.dcm out.dcm` (dcmtk) or `gdcmconv --raw in.dcm out.dcm` (gdcm)",
        "1.2.840.10008.1.2.8.1" => "decompress it first with a tool that knows this recent syntax (pydicom 3, or a current dcmtk/gdcm), e.g. `gdcmconv --raw in.dcm out.dcm`",
        _ => "decompress it first, e.g. `gdcmconv --raw in.dcm out.dcm` (gdcm)",
    };

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Uid})";
}
