using System.Buffers.Binary;

namespace DeepSim.Imaging.Dicom;

/// <summary>Splits encapsulated (compressed) pixel data into its frames.</summary>
internal static class EncapsulatedFrames
{
    /// <summary>
    /// The compressed bytes of each of <paramref name="frames"/> frames of encapsulated pixel data (PS3.5 A.4): one fragment
    /// a frame, or fragments grouped by the basic offset table, else by JPEG start-of-image markers, else all in one frame.
    /// Frames of one fragment are views of <paramref name="buffer"/>; frames of several are copied into one array.
    /// </summary>
    /// <exception cref="ImageReadException">No fragment, fewer fragments than frames, or fragments that cannot be grouped into the frames.</exception>
    public static List<ReadOnlyMemory<byte>> Split(string path, int frames, bool jpeg, DicomElement pixel, byte[] buffer)
    {
        var fragments = pixel.Fragments!;
        if (fragments.Count < 2)
        {
            throw new ImageReadException(ImageReadError.Truncated, path, "encapsulated pixel data holds no fragment.", pixel.FileOffset);
        }

        var data = fragments.Skip(1).ToList();
        if (frames == data.Count)
        {
            return [.. data.Select(f => (ReadOnlyMemory<byte>)buffer.AsMemory(f.Offset, f.Length))];
        }

        if (frames > data.Count)
        {
            throw new ImageReadException(ImageReadError.DataSizeMismatch, path, $"{frames} frames declared but only {data.Count} pixel data fragments present.", pixel.FileOffset);
        }

        // Group fragments into frames: by the basic offset table, else by JPEG start-of-image markers, else all in one frame.
        var starts = new List<int>();
        var bot = fragments[0];
        if (bot.Length >= 4 * frames && bot.Length % 4 == 0)
        {
            var firstItem = data[0].Offset - 8;
            var offsets = new List<long>();
            for (var i = 0; i < bot.Length / 4; i++)
            {
                offsets.Add(BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(bot.Offset + (4 * i))));
            }

            for (var f = 0; f < data.Count; f++)
            {
                if (offsets.Contains(data[f].Offset - 8 - firstItem))
                {
                    starts.Add(f);
                }
            }
        }
        else if (jpeg)
        {
            for (var f = 0; f < data.Count; f++)
            {
                if (data[f].Length >= 2 && buffer[data[f].Offset] == 0xFF && buffer[data[f].Offset + 1] == 0xD8)
                {
                    starts.Add(f);
                }
            }
        }
        else if (frames == 1)
        {
            starts.Add(0);
        }

        if (starts.Count != frames || starts[0] != 0)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, $"cannot split {data.Count} pixel data fragments into {frames} frames.", pixel.FileOffset);
        }

        var result = new List<ReadOnlyMemory<byte>>(frames);
        for (var f = 0; f < frames; f++)
        {
            var from = starts[f];
            var to = f + 1 < frames ? starts[f + 1] : data.Count;
            if (to - from == 1)
            {
                result.Add(buffer.AsMemory(data[from].Offset, data[from].Length));
                continue;
            }

            // Concatenate the fragments of this frame into a new buffer appended logically: copy into one array.
            var total = 0;
            for (var k = from; k < to; k++)
            {
                total += data[k].Length;
            }

            var joined = new byte[total];
            var at = 0;
            for (var k = from; k < to; k++)
            {
                buffer.AsSpan(data[k].Offset, data[k].Length).CopyTo(joined.AsSpan(at));
                at += data[k].Length;
            }

            result.Add(joined);
        }

        return result;
    }
}
