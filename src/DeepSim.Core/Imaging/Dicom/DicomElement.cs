namespace DeepSim.Imaging.Dicom;

/// <summary>One data element of a parsed DICOM data set: its tag, VR and where its value lies.</summary>
public sealed class DicomElement
{
    internal DicomElement(DicomTag tag, string vr, int valueOffset, long length, long fileOffset)
    {
        Tag = tag;
        Vr = vr;
        ValueOffset = valueOffset;
        Length = length;
        FileOffset = fileOffset;
    }

    /// <summary>The tag.</summary>
    public DicomTag Tag { get; }

    /// <summary>The value representation: explicit from the file, or from the dictionary for implicit VR ("UN" if unknown).</summary>
    public string Vr { get; }

    /// <summary>The value length in bytes; -1 for undefined length (sequences, encapsulated pixel data).</summary>
    public long Length { get; }

    /// <summary>The DICOM keyword, or null for private and unknown tags.</summary>
    public string? Keyword => DicomDictionary.KeywordOf(Tag);

    /// <summary>Items of a sequence (empty for other elements).</summary>
    public IReadOnlyList<DicomDataset> Items { get; internal set; } = [];

    /// <summary>True when this is a sequence (SQ, or an undefined-length element parsed as one).</summary>
    public bool IsSequence { get; internal set; }

    /// <summary>Byte offset of the value in the (inflated) data buffer.</summary>
    internal int ValueOffset { get; }

    /// <summary>Byte offset of the element's header in the file (or in the inflated stream for deflated files).</summary>
    internal long FileOffset { get; }

    /// <summary>Fragments (offset, length) of encapsulated pixel data, the basic offset table first.</summary>
    internal IReadOnlyList<(int Offset, int Length)>? Fragments { get; set; }

    /// <summary>True when the value was not in the buffer that was parsed (only the header was read).</summary>
    internal bool ValueNotLoaded { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Tag} {Vr} {Keyword ?? "?"} ({(Length < 0 ? "undefined" : Length.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes)";
}
