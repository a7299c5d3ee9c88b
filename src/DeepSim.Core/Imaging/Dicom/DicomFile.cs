using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// A DICOM file opened for reading tags: its file meta information, main data set and transfer syntax.
/// Handles Part 10 files with or without the 128-byte preamble, files without meta header (implicit or explicit VR,
/// either byte order, detected from the first element) and deflated data sets.
/// </summary>
public sealed class DicomFile
{
    /// <summary>Largest inflated size accepted for a deflated data set.</summary>
    internal const int MaxInflatedBytes = 1 << 30;

    /// <summary>Bytes read for a header-only open before falling back to the whole file.</summary>
    internal const int HeaderPrefixBytes = 16 * 1024;

    private DicomFile(string path, DicomDataset meta, DicomDataset dataset, DicomTransferSyntax syntax, bool hasMetaHeader, bool complete, long fileLength)
    {
        Path = path;
        MetaInformation = meta;
        Dataset = dataset;
        TransferSyntax = syntax;
        HasMetaHeader = hasMetaHeader;
        IsComplete = complete;
        FileLength = fileLength;
    }

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>File meta information (group 0002); empty for files without meta header.</summary>
    public DicomDataset MetaInformation { get; }

    /// <summary>The main data set.</summary>
    public DicomDataset Dataset { get; }

    /// <summary>The transfer syntax (from the meta header, or detected for files without one).</summary>
    public DicomTransferSyntax TransferSyntax { get; }

    /// <summary>True when the file has a Part 10 meta header.</summary>
    public bool HasMetaHeader { get; }

    /// <summary>False for a header-only open whose pixel data value was not loaded.</summary>
    internal bool IsComplete { get; }

    internal long FileLength { get; }

    /// <summary>
    /// Opens and parses a whole DICOM file. Throws <see cref="ImageReadException"/> (with a byte offset where useful)
    /// for missing, truncated or malformed files.
    /// </summary>
    public static DicomFile Open(string path)
    {
        var bytes = ReadFile(path, -1, out var fileLength);
        return Parse(path, bytes, bytes.Length, fileLength, partial: false, stopAtPixelData: false);
    }

    /// <summary>
    /// Looks a value up in the meta information or the data set by keyword or tag text; see <see cref="DicomDataset.TryGet"/>.
    /// </summary>
    public bool TryGet(string keywordOrTag, out string value) =>
        (DicomDictionary.TryGetTag(keywordOrTag, out var tag) && tag.Group == 0x0002 ? MetaInformation : Dataset).TryGet(keywordOrTag, out value);

    /// <summary>Value of (group,element) from the meta information (group 2) or the data set, or null.</summary>
    public string? Get(ushort group, ushort element) => group == 0x0002 ? MetaInformation.Get(group, element) : Dataset.Get(group, element);

    /// <summary>Parses from a byte array (the whole file).</summary>
    internal static DicomFile Parse(string path, byte[] bytes) => Parse(path, bytes, bytes.Length, bytes.Length, false, false);

    /// <summary>
    /// Reads only the header (up to the pixel data element) when it fits in a small prefix; the pixel data is read later
    /// by <see cref="ReadValue"/>. Falls back to the whole file when the header is larger, the data set is deflated,
    /// or the pixel data is encapsulated.
    /// </summary>
    internal static DicomFile OpenHeader(string path)
    {
        var prefix = ReadFile(path, HeaderPrefixBytes, out var fileLength);
        if (prefix.Length < fileLength)
        {
            try
            {
                return Parse(path, prefix, prefix.Length, fileLength, partial: true, stopAtPixelData: true);
            }
            catch (DicomNeedMoreDataException)
            {
                // Header larger than the prefix: read everything.
            }
        }

        var bytes = prefix.Length == fileLength ? prefix : ReadFile(path, -1, out fileLength);
        return Parse(path, bytes, bytes.Length, fileLength, partial: false, stopAtPixelData: true);
    }

    /// <summary>
    /// The bytes of a value: from the buffer when loaded, else read from the file (native pixel data of a header-only open).
    /// </summary>
    internal ReadOnlyMemory<byte> ReadValue(DicomElement element, byte[]? reuse = null)
    {
        if (!element.ValueNotLoaded)
        {
            return Dataset.Buffer.AsMemory(element.ValueOffset, (int)element.Length);
        }

        var length = element.Length;
        if (element.ValueOffset + length > FileLength)
        {
            throw new ImageReadException(ImageReadError.Truncated, Path, $"pixel data declares {length} bytes but the file ends after {FileLength - element.ValueOffset}", element.FileOffset);
        }

        if (length > Array.MaxLength)
        {
            throw new ImageReadException(ImageReadError.AbsurdDimensions, Path, $"pixel data of {length} bytes is too large", element.FileOffset);
        }

        var buffer = reuse is not null && reuse.Length >= length ? reuse : GC.AllocateUninitializedArray<byte>((int)length);
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(handle, buffer.AsSpan(read, (int)length - read), element.ValueOffset + read);
            if (n == 0)
            {
                throw new ImageReadException(ImageReadError.Truncated, Path, "the file ends inside the pixel data", element.ValueOffset + read);
            }

            read += n;
        }

        return buffer.AsMemory(0, (int)length);
    }

    private static byte[] ReadFile(string path, int maxBytes, out long fileLength)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            fileLength = RandomAccess.GetLength(handle);
            if (fileLength > Array.MaxLength)
            {
                throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"the file is {fileLength} bytes; DeepSim reads DICOM files up to 2 GB.");
            }

            if (IsGzipName(path) && fileLength >= 2)
            {
                Span<byte> magic = stackalloc byte[2];
                if (RandomAccess.Read(handle, magic, 0) == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
                {
                    var inflated = Gunzip(path, handle);
                    fileLength = inflated.Length;
                    return inflated;
                }
            }

            var n = maxBytes < 0 ? (int)fileLength : (int)Math.Min(fileLength, maxBytes);
            var buffer = GC.AllocateUninitializedArray<byte>(n);
            var read = 0;
            while (read < n)
            {
                var r = RandomAccess.Read(handle, buffer.AsSpan(read), read);
                if (r == 0)
                {
                    Array.Resize(ref buffer, read);
                    break;
                }

                read += r;
            }

            return buffer;
        }
        catch (Exception e) when (Formats.FormatIO.OpenError(e, path, path) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>Most bytes after native pixel data that <see cref="CheckAfterPixelData"/> reads and parses.</summary>
    internal const int MaxTrailingBytes = 1 << 20;

    /// <summary>
    /// A header-only open stops at the pixel data; what follows it must still be well-formed, as a full parse (and dcmtk)
    /// requires: zero padding, or whole data elements. A byte inserted into the pixel data shifts every later pixel and
    /// leaves a stray byte at the end; this finds it (ImageTruncated), where the pixels alone could not.
    /// </summary>
    internal void CheckAfterPixelData()
    {
        var pixel = Dataset.Find(DicomTags.PixelData);
        if (pixel is null || pixel.Length < 0 || pixel.Fragments is not null)
        {
            return;
        }

        // Offsets are file offsets, except in a deflated data set (offsets in the inflated buffer, zero beyond its data).
        var fromFile = pixel.ValueNotLoaded || (!TransferSyntax.Deflated && Dataset.Buffer.Length < FileLength);
        var dataLength = fromFile ? FileLength : Dataset.Buffer.Length;

        var end = pixel.ValueOffset + pixel.Length;
        var trailing = dataLength - end;
        if (trailing <= 0 || trailing > MaxTrailingBytes)
        {
            return;
        }

        byte[] tail;
        if (fromFile)
        {
            tail = new byte[trailing];
            using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var got = RandomAccess.Read(handle, tail, end);
            if (got < trailing)
            {
                tail = tail[..got];
            }
        }
        else
        {
            tail = Dataset.Buffer.AsSpan((int)end, (int)trailing).ToArray();
        }

        // Zero padding is accepted in whole 16-bit words only: DICOM values have even lengths, so an odd count of bytes
        // after the pixel data means a byte was inserted (or the pixel data length is wrong), even when it is zero.
        if (!tail.AsSpan().ContainsAnyExcept((byte)0) && tail.Length % 2 == 0)
        {
            return;
        }

        if (tail.Length < 8)
        {
            throw new ImageReadException(ImageReadError.Truncated, Path, $"{tail.Length} stray byte(s) follow the pixel data: the file holds bytes that belong to no data element (a damaged or shifted copy)", end);
        }

        try
        {
            new DicomParser(tail, tail.Length, Path, partial: false, fileBase: end).ParseDataset(0, TransferSyntax.ExplicitVr, TransferSyntax.BigEndian, stopAtPixelData: false);
        }
        catch (ImageReadException e)
        {
            throw new ImageReadException(e.Error, Path, "after the pixel data: " + StripPath(e.Message), inner: e);
        }
    }

    private string StripPath(string message)
    {
        var prefix = DeepSim.IO.MessageText.Clean(Path) + ": ";
        return message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..].TrimEnd('.') : message;
    }

    /// <summary>True for a name ending in .gz (a gzipped DICOM file such as <c>image.dcm.gz</c>).</summary>
    internal static bool IsGzipName(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first <paramref name="count"/> bytes of a gzipped file, decompressed (fewer when it is shorter or corrupt).</summary>
    internal static byte[] ReadGzipHead(string path, int count)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            var buffer = new byte[count];
            var got = gz.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
            return buffer[..got];
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static byte[] Gunzip(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        try
        {
            using var fs = new FileStream(handle, FileAccess.Read, 1 << 16);
            using var gz = new GZipStream(fs, CompressionMode.Decompress, leaveOpen: true);
            using var output = new MemoryStream();
            var chunk = new byte[1 << 16];
            int n;
            while ((n = gz.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (output.Length + n > MaxInflatedBytes)
                {
                    throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"the gzipped file inflates to more than {MaxInflatedBytes} bytes.");
                }

                output.Write(chunk, 0, n);
            }

            return output.ToArray();
        }
        catch (Exception e) when (Formats.FormatIO.IsCorruptCompressed(e))
        {
            throw new ImageReadException(ImageReadError.CorruptPixelData, path, "the gzip stream is corrupt: " + e.Message, inner: e);
        }
    }

    /// <summary>Where the data starts: after "DICM" (132 with preamble, 4 without), or 0 for files without magic.</summary>
    internal static int FindStart(ReadOnlySpan<byte> head, out bool hasMagic)
    {
        hasMagic = true;
        if (head.Length >= 132 && head.Slice(128, 4).SequenceEqual("DICM"u8))
        {
            return 132;
        }

        if (head.Length >= 4 && head[..4].SequenceEqual("DICM"u8))
        {
            return 4;
        }

        hasMagic = false;
        return 0;
    }

    /// <summary>
    /// Guesses the encoding of a data set without meta header from its first element: explicit VR when bytes 4-5 are a VR,
    /// big endian when the group reads as a small number only byte-swapped.
    /// </summary>
    internal static bool TryGuessSyntax(ReadOnlySpan<byte> data, out DicomTransferSyntax syntax)
    {
        syntax = DicomTransferSyntax.ImplicitVrLittleEndian;
        if (data.Length < 8)
        {
            return false;
        }

        var le = BinaryPrimitives.ReadUInt16LittleEndian(data);
        var be = BinaryPrimitives.ReadUInt16BigEndian(data);
        var explicitVr = DicomParser.IsKnownVr(data[4], data[5]);
        bool bigEndian;
        if (IsPlausibleFirstGroup(le))
        {
            bigEndian = false;
        }
        else if (IsPlausibleFirstGroup(be))
        {
            bigEndian = true;
        }
        else
        {
            return false;
        }

        if (bigEndian && !explicitVr)
        {
            return false;
        }

        syntax = explicitVr
            ? (bigEndian ? DicomTransferSyntax.ExplicitVrBigEndian : DicomTransferSyntax.ExplicitVrLittleEndian)
            : DicomTransferSyntax.ImplicitVrLittleEndian;
        return true;
    }

    /// <summary>Groups a data set without meta header plausibly starts with.</summary>
    internal static bool IsPlausibleFirstGroup(ushort group) => group is 0x0002 or 0x0004 or 0x0008 or 0x0010 or 0x0018 or 0x0020 or 0x0028;

    private static DicomFile Parse(string path, byte[] bytes, int length, long fileLength, bool partial, bool stopAtPixelData)
    {
        if (length == 0)
        {
            throw new ImageReadException(ImageReadError.Truncated, path, "the file is empty.");
        }

        var start = FindStart(bytes.AsSpan(0, length), out var hasMagic);
        var parser = new DicomParser(bytes, length, path, partial);
        var hasMeta = hasMagic || (length >= 8 && BinaryPrimitives.ReadUInt16LittleEndian(bytes) == 0x0002);
        DicomDataset meta;
        var pos = start;
        DicomTransferSyntax syntax;
        if (hasMeta)
        {
            meta = parser.ParseMeta(start, out pos);
            var tsUid = meta.GetText(DicomTags.TransferSyntaxUID);
            if (tsUid is not null)
            {
                syntax = DicomTransferSyntax.FromUid(tsUid);
            }
            else if (!TryGuessSyntax(bytes.AsSpan(pos, length - pos), out syntax))
            {
                syntax = DicomTransferSyntax.ExplicitVrLittleEndian;
            }
        }
        else
        {
            meta = new DicomDataset(bytes, false, System.Text.Encoding.Latin1);
            if (!TryGuessSyntax(bytes.AsSpan(0, length), out syntax))
            {
                throw new ImageReadException(ImageReadError.UnknownFormat, path, "not a DICOM file: no \"DICM\" marker at byte 128 and no recognisable first data element.");
            }
        }

        if (syntax.Deflated)
        {
            if (partial)
            {
                throw new DicomNeedMoreDataException();
            }

            var inflated = Inflate(path, bytes, pos, length - pos, out var inflatedLength);
            var inflatedParser = new DicomParser(inflated, inflatedLength, path, false);
            var deflatedSet = inflatedParser.ParseDataset(0, syntax.ExplicitVr, syntax.BigEndian, stopAtPixelData);
            return new DicomFile(path, meta, deflatedSet, syntax, hasMeta, true, fileLength);
        }

        var dataset = parser.ParseDataset(pos, syntax.ExplicitVr, syntax.BigEndian, stopAtPixelData);
        var pixel = dataset.Find(DicomTags.PixelData);
        var complete = pixel is null || !pixel.ValueNotLoaded;
        return new DicomFile(path, meta, dataset, syntax, hasMeta, complete, fileLength);
    }

    private static byte[] Inflate(string path, byte[] bytes, int offset, int count, out int inflatedLength)
    {
        try
        {
            using var input = new MemoryStream(bytes, offset, count, writable: false);
            using var deflate = new DeflateStream(input, CompressionMode.Decompress);
            var buffer = new byte[Math.Max(4096, Math.Min(MaxInflatedBytes, (long)count * 4))];
            var n = 0;
            while (true)
            {
                if (n == buffer.Length)
                {
                    if (buffer.Length >= MaxInflatedBytes)
                    {
                        throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"the deflated data set inflates to more than {MaxInflatedBytes} bytes", offset);
                    }

                    Array.Resize(ref buffer, (int)Math.Min(MaxInflatedBytes, (long)buffer.Length * 2));
                }

                var r = deflate.Read(buffer, n, buffer.Length - n);
                if (r == 0)
                {
                    break;
                }

                n += r;
            }

            inflatedLength = n;
            return buffer;
        }
        catch (Exception e) when (Formats.FormatIO.IsCorruptCompressed(e))
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, "the deflated data set is corrupt: " + e.Message, offset, e);
        }
    }
}
