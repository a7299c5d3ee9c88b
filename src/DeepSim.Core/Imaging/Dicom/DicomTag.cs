using System.Globalization;

namespace DeepSim.Imaging.Dicom;

/// <summary>A DICOM attribute tag: (group, element). The tags DeepSim reads are named in <see cref="DicomTags"/>.</summary>
/// <param name="Group">Group number (e.g. 0x0010 for patient attributes).</param>
/// <param name="Element">Element number within the group.</param>
public readonly record struct DicomTag(ushort Group, ushort Element)
{
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
