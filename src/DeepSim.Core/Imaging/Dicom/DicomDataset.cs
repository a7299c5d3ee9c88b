using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// A parsed DICOM data set (the file's main data set, its meta information, or a sequence item).
/// Values are kept as byte ranges of the file and formatted on request.
/// </summary>
public sealed class DicomDataset
{
    private readonly List<DicomElement> _elements = [];
    private readonly Dictionary<uint, DicomElement> _byTag = [];

    internal DicomDataset(byte[] buffer, bool bigEndian, Encoding textEncoding)
    {
        Buffer = buffer;
        BigEndian = bigEndian;
        TextEncoding = textEncoding;
    }

    /// <summary>The elements in file order.</summary>
    public IReadOnlyList<DicomElement> Elements => _elements;

    /// <summary>True when values are big endian.</summary>
    public bool BigEndian { get; }

    internal byte[] Buffer { get; }

    internal Encoding TextEncoding { get; set; }

    /// <summary>True when the data set holds the tag.</summary>
    public bool Contains(DicomTag tag) => _byTag.ContainsKey(tag.Value);

    /// <summary>The element with this tag, or null.</summary>
    public DicomElement? Find(DicomTag tag) => _byTag.GetValueOrDefault(tag.Value);

    /// <summary>The value of (group,element) as a string (see <see cref="GetString(DicomTag)"/>), or null when absent.</summary>
    public string? Get(ushort group, ushort element) => GetString(new DicomTag(group, element));

    /// <summary>
    /// The value as a string formatted for its VR: text VRs trimmed of padding; numbers in invariant culture;
    /// multiple values joined by '\'; AT as (gggg,eeee); sequences as "[n items]"; long binary values as "[n bytes]".
    /// Null when the tag is absent.
    /// </summary>
    public string? GetString(DicomTag tag)
    {
        var e = Find(tag);
        return e is null ? null : FormatValue(e);
    }

    /// <summary>Looks a value up by keyword (e.g. "PatientName") or tag text ("(0010,0010)", "0010,0010", "00100010").</summary>
    public bool TryGet(string keywordOrTag, out string value)
    {
        value = string.Empty;
        if (!DicomDictionary.TryGetTag(keywordOrTag, out var tag))
        {
            return false;
        }

        var s = GetString(tag);
        if (s is null)
        {
            return false;
        }

        value = s;
        return true;
    }

    /// <summary>The items of a sequence element; empty when absent or not a sequence.</summary>
    public IReadOnlyList<DicomDataset> GetSequence(DicomTag tag) => Find(tag)?.Items ?? [];

    /// <summary>The raw value bytes of an element (empty for undefined length or values that were not loaded).</summary>
    public ReadOnlySpan<byte> GetValueBytes(DicomElement element)
    {
        if (element.Length <= 0 || element.ValueNotLoaded)
        {
            return [];
        }

        return Buffer.AsSpan(element.ValueOffset, (int)element.Length);
    }

    /// <summary>Formats the value of an element of this data set (see <see cref="GetString(DicomTag)"/>).</summary>
    public string FormatValue(DicomElement element)
    {
        if (element.IsSequence)
        {
            return $"[{element.Items.Count} items]";
        }

        if (element.Fragments is not null)
        {
            return $"[encapsulated, {element.Fragments.Count} fragments]";
        }

        if (element.ValueNotLoaded)
        {
            return $"[{element.Length} bytes]";
        }

        var bytes = GetValueBytes(element);
        switch (element.Vr)
        {
            case "US":
                return JoinNumbers(bytes, 2, (b, be) => (be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b)).ToString(CultureInfo.InvariantCulture));
            case "SS":
                return JoinNumbers(bytes, 2, (b, be) => (be ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b)).ToString(CultureInfo.InvariantCulture));
            case "UL":
                return JoinNumbers(bytes, 4, (b, be) => (be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b)).ToString(CultureInfo.InvariantCulture));
            case "SL":
                return JoinNumbers(bytes, 4, (b, be) => (be ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b)).ToString(CultureInfo.InvariantCulture));
            case "UV":
                return JoinNumbers(bytes, 8, (b, be) => (be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b)).ToString(CultureInfo.InvariantCulture));
            case "SV":
                return JoinNumbers(bytes, 8, (b, be) => (be ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b)).ToString(CultureInfo.InvariantCulture));
            case "FL":
                return JoinNumbers(bytes, 4, (b, be) => (be ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b)).ToString("R", CultureInfo.InvariantCulture));
            case "FD":
                return JoinNumbers(bytes, 8, (b, be) => (be ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b)).ToString("R", CultureInfo.InvariantCulture));
            case "AT":
                return JoinNumbers(bytes, 4, (b, be) => be
                    ? new DicomTag(BinaryPrimitives.ReadUInt16BigEndian(b), BinaryPrimitives.ReadUInt16BigEndian(b[2..])).ToString()
                    : new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(b), BinaryPrimitives.ReadUInt16LittleEndian(b[2..])).ToString());
            case "OB" or "UN":
                return bytes.Length <= 32 ? string.Join('\\', bytes.ToArray().Select(b => b.ToString(CultureInfo.InvariantCulture))) : $"[{bytes.Length} bytes]";
            case "OW":
                return bytes.Length <= 64 ? JoinNumbers(bytes, 2, (b, be) => (be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b)).ToString(CultureInfo.InvariantCulture)) : $"[{bytes.Length} bytes]";
            case "OF" or "OD" or "OL" or "OV":
                return $"[{bytes.Length} bytes]";
            default:
                return DecodeText(bytes, element.Vr);
        }
    }

    // ---- typed accessors used by the reader ----
    internal string? GetText(DicomTag tag)
    {
        var e = Find(tag);
        if (e is null || e.IsSequence || e.Fragments is not null || e.ValueNotLoaded)
        {
            return null;
        }

        var s = FormatValue(e);
        return s.Length == 0 ? null : s;
    }

    internal int GetInt(DicomTag tag, int fallback)
    {
        var e = Find(tag);
        if (e is null || e.ValueNotLoaded || e.IsSequence)
        {
            return fallback;
        }

        var b = GetValueBytes(e);
        switch (e.Vr)
        {
            case "US" or "OW" when b.Length >= 2:
                return BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
            case "SS" when b.Length >= 2:
                return BigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b);
            case "UL" or "SL" when b.Length >= 4:
                var v = BigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b);
                return v;
            case "IS" or "DS":
                var d = GetDoubles(tag);
                return d.Length > 0 && d[0] is >= int.MinValue and <= int.MaxValue ? (int)d[0] : fallback;
            case "UN" when b.Length == 2:
                return BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
            default:
                return fallback;
        }
    }

    /// <summary>Numbers of a DS/IS (decimal string) value; unparsable parts are skipped.</summary>
    internal double[] GetDoubles(DicomTag tag)
    {
        var e = Find(tag);
        if (e is null || e.ValueNotLoaded || e.IsSequence)
        {
            return [];
        }

        var b = GetValueBytes(e);
        if (e.Vr is "FD")
        {
            var r = new double[b.Length / 8];
            for (var i = 0; i < r.Length; i++)
            {
                r[i] = BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b[(i * 8)..]) : BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]);
            }

            return r;
        }

        if (e.Vr is "FL")
        {
            var r = new double[b.Length / 4];
            for (var i = 0; i < r.Length; i++)
            {
                r[i] = BigEndian ? BinaryPrimitives.ReadSingleBigEndian(b[(i * 4)..]) : BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]);
            }

            return r;
        }

        var list = new List<double>(6);
        while (b.Length > 0)
        {
            var cut = b.IndexOf((byte)'\\');
            var part = cut < 0 ? b : b[..cut];
            part = part.Trim(" \0"u8);
            if (part.Length > 0 && double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
            {
                list.Add(v);
            }

            if (cut < 0)
            {
                break;
            }

            b = b[(cut + 1)..];
        }

        return [.. list];
    }

    internal void Add(DicomElement element)
    {
        _elements.Add(element);
        _byTag[element.Tag.Value] = element;
    }

    private string DecodeText(ReadOnlySpan<byte> bytes, string vr)
    {
        // Trailing NUL (UI) and space padding; leading spaces too for number strings.
        var trimmed = bytes.TrimEnd(" \0"u8);
        if (vr is "DS" or "IS" or "AE" or "CS" or "DA" or "TM" or "DT" or "UI" or "SH" or "LO" or "PN" or "AS")
        {
            trimmed = trimmed.TrimStart(" "u8);
        }

        var encoding = vr is "UI" or "DS" or "IS" or "CS" or "DA" or "TM" or "DT" or "AS" or "AE" or "UR" ? Encoding.Latin1 : TextEncoding;
        var s = encoding.GetString(trimmed);
        if (s.Contains('\\', StringComparison.Ordinal) && vr is not ("LT" or "ST" or "UT" or "UR"))
        {
            // Multi-value: trim each value's padding.
            s = string.Join('\\', s.Split('\\').Select(p => p.Trim(' ', '\0')));
        }

        return s;
    }

    private string JoinNumbers(ReadOnlySpan<byte> bytes, int size, Func<ReadOnlySpan<byte>, bool, string> format)
    {
        var n = bytes.Length / size;
        if (n == 0)
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
            {
                sb.Append('\\');
            }

            sb.Append(format(bytes.Slice(i * size, size), BigEndian));
        }

        return sb.ToString();
    }
}
