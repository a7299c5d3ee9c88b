using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DeepSim.Tests.Dicom;

/// <summary>
/// A minimal DICOM Part 10 writer (explicit or implicit VR little endian, uncompressed) for synthetic test and benchmark data.
/// </summary>
internal sealed class DicomTestWriter
{
    private readonly SortedDictionary<uint, (string Vr, byte[] Value)> _elements = [];

    public DicomTestWriter Text(ushort group, ushort element, string vr, string value)
    {
        var bytes = Encoding.Latin1.GetBytes(value);
        if (bytes.Length % 2 == 1)
        {
            bytes = [.. bytes, vr == "UI" ? (byte)0 : (byte)' '];
        }

        _elements[((uint)group << 16) | element] = (vr, bytes);
        return this;
    }

    public DicomTestWriter Numbers(ushort group, ushort element, params double[] values) =>
        Text(group, element, "DS", string.Join('\\', values.Select(v => v.ToString("0.######", CultureInfo.InvariantCulture))));

    public DicomTestWriter UShort(ushort group, ushort element, ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        _elements[((uint)group << 16) | element] = ("US", b);
        return this;
    }

    public DicomTestWriter Bytes(ushort group, ushort element, string vr, byte[] value)
    {
        _elements[((uint)group << 16) | element] = (vr, value);
        return this;
    }

    /// <summary>A 16-bit monochrome image with its pixel module.</summary>
    public DicomTestWriter Pixels16(int rows, int columns, ReadOnlySpan<short> pixels, bool signed = true)
    {
        UShort(0x0028, 0x0002, 1);
        Text(0x0028, 0x0004, "CS", "MONOCHROME2");
        UShort(0x0028, 0x0010, (ushort)rows);
        UShort(0x0028, 0x0011, (ushort)columns);
        UShort(0x0028, 0x0100, 16);
        UShort(0x0028, 0x0101, 16);
        UShort(0x0028, 0x0102, 15);
        UShort(0x0028, 0x0103, signed ? (ushort)1 : (ushort)0);
        var bytes = new byte[pixels.Length * 2];
        for (var i = 0; i < pixels.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), pixels[i]);
        }

        return Bytes(0x7FE0, 0x0010, "OW", bytes);
    }

    /// <summary>The common attributes of a CT slice of a series.</summary>
    public static DicomTestWriter CtSlice(string seriesUid, int instance, double[] position, double[] orientation, double pixelSpacing, double thickness)
    {
        var w = new DicomTestWriter();
        w.Text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2");
        w.Text(0x0008, 0x0018, "UI", seriesUid + "." + instance.ToString(CultureInfo.InvariantCulture));
        w.Text(0x0008, 0x0020, "DA", "20260101");
        w.Text(0x0008, 0x0060, "CS", "CT");
        w.Text(0x0008, 0x103E, "LO", "synthetic series");
        w.Text(0x0010, 0x0010, "PN", "Test^Patient");
        w.Text(0x0010, 0x0020, "LO", "DS-0001");
        w.Text(0x0020, 0x000D, "UI", "1.2.826.0.1.3680043.9.7.1");
        w.Text(0x0020, 0x000E, "UI", seriesUid);
        w.Text(0x0020, 0x0011, "IS", "3");
        w.Text(0x0020, 0x0013, "IS", instance.ToString(CultureInfo.InvariantCulture));
        w.Numbers(0x0020, 0x0032, position);
        w.Numbers(0x0020, 0x0037, orientation);
        w.Numbers(0x0028, 0x0030, pixelSpacing, pixelSpacing);
        w.Numbers(0x0018, 0x0050, thickness);
        w.Numbers(0x0028, 0x1052, -1024);
        w.Numbers(0x0028, 0x1053, 1);
        return w;
    }

    /// <summary>The file: 128-byte preamble, "DICM", meta group, then the data set in the given encoding.</summary>
    public byte[] ToBytes(bool explicitVr = true, bool withMeta = true, string? transferSyntaxUid = null)
    {
        using var ms = new MemoryStream();
        if (withMeta)
        {
            ms.Write(new byte[128]);
            ms.Write("DICM"u8);
            var tsUid = transferSyntaxUid ?? (explicitVr ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2");
            var meta = new DicomTestWriter()
                .Bytes(0x0002, 0x0001, "OB", [0, 1])
                .Text(0x0002, 0x0002, "UI", _elements.TryGetValue(0x00080016, out var c) ? Encoding.Latin1.GetString(c.Value).TrimEnd('\0') : "1.2.840.10008.5.1.4.1.1.7")
                .Text(0x0002, 0x0003, "UI", _elements.TryGetValue(0x00080018, out var i) ? Encoding.Latin1.GetString(i.Value).TrimEnd('\0') : "1.2.3")
                .Text(0x0002, 0x0010, "UI", tsUid);
            using var metaBody = new MemoryStream();
            meta.WriteElements(metaBody, true);
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)metaBody.Length);
            new DicomTestWriter().Bytes(0x0002, 0x0000, "UL", length).WriteElements(ms, true);
            metaBody.WriteTo(ms);
        }

        WriteElements(ms, explicitVr);
        return ms.ToArray();
    }

    public void Save(string path, bool explicitVr = true, bool withMeta = true) => File.WriteAllBytes(path, ToBytes(explicitVr, withMeta));

    private void WriteElements(Stream s, bool explicitVr)
    {
        Span<byte> h = stackalloc byte[12];
        foreach (var (tag, (vr, value)) in _elements)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(h, (ushort)(tag >> 16));
            BinaryPrimitives.WriteUInt16LittleEndian(h[2..], (ushort)tag);
            if (!explicitVr)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)value.Length);
                s.Write(h[..8]);
            }
            else if (vr is "OB" or "OW" or "OF" or "SQ" or "UN" or "UT" or "UC" or "UR" or "OD" or "OL")
            {
                h[4] = (byte)vr[0];
                h[5] = (byte)vr[1];
                h[6] = 0;
                h[7] = 0;
                BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)value.Length);
                s.Write(h[..12]);
            }
            else
            {
                h[4] = (byte)vr[0];
                h[5] = (byte)vr[1];
                BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)value.Length);
                s.Write(h[..8]);
            }

            s.Write(value);
        }
    }
}
