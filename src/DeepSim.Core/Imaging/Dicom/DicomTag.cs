using System.Globalization;

namespace DeepSim.Imaging.Dicom;

/// <summary>A DICOM attribute tag: (group, element).</summary>
/// <param name="Group">Group number (e.g. 0x0010 for patient attributes).</param>
/// <param name="Element">Element number within the group.</param>
public readonly record struct DicomTag(ushort Group, ushort Element)
{
    /// <summary>(7FE0,0010) Pixel Data.</summary>
    public static DicomTag PixelData { get; } = new(0x7FE0, 0x0010);

    /// <summary>(7FE0,0008) Float Pixel Data.</summary>
    public static DicomTag FloatPixelData { get; } = new(0x7FE0, 0x0008);

    /// <summary>(7FE0,0009) Double Float Pixel Data.</summary>
    public static DicomTag DoubleFloatPixelData { get; } = new(0x7FE0, 0x0009);

    /// <summary>(FFFE,E000) Item.</summary>
    public static DicomTag Item { get; } = new(0xFFFE, 0xE000);

    /// <summary>(FFFE,E00D) Item Delimitation Item.</summary>
    public static DicomTag ItemDelimitation { get; } = new(0xFFFE, 0xE00D);

    /// <summary>(FFFE,E0DD) Sequence Delimitation Item.</summary>
    public static DicomTag SequenceDelimitation { get; } = new(0xFFFE, 0xE0DD);

    /// <summary>The tag as one 32-bit number, group in the high half.</summary>
    public uint Value => ((uint)Group << 16) | Element;

    /// <summary>True for private tags (odd group).</summary>
    public bool IsPrivate => (Group & 1) == 1;

    /// <summary>Parses "(0010,0010)", "0010,0010" or "00100010" (hexadecimal).</summary>
    public static bool TryParse(string? text, out DicomTag tag)
    {
        tag = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        if (s.StartsWith('(') && s.EndsWith(')'))
        {
            s = s[1..^1];
        }

        s = s.Replace(",", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        if (s.Length != 8 || !uint.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
        {
            return false;
        }

        tag = new DicomTag((ushort)(v >> 16), (ushort)(v & 0xFFFF));
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"({Group:X4},{Element:X4})";
}
