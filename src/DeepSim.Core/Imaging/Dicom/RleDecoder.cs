using System.Buffers.Binary;

namespace DeepSim.Imaging.Dicom;

/// <summary>DICOM RLE lossless (PS3.5 annex G): a 64-byte segment table, then PackBits segments, most significant byte first.</summary>
internal static class RleDecoder
{
    /// <summary>
    /// Decodes one frame into little-endian, pixel-interleaved native bytes
    /// (<paramref name="pixels"/> x <paramref name="samples"/> x <paramref name="bytesPerSample"/>).
    /// </summary>
    public static void DecodeFrame(ReadOnlySpan<byte> frame, Span<byte> native, int pixels, int samples, int bytesPerSample, string path, long offset)
    {
        if (frame.Length < 64)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, $"RLE frame of {frame.Length} bytes is shorter than its 64-byte header", offset);
        }

        var segments = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        var expected = samples * bytesPerSample;
        if (segments != expected || segments > 15)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, $"RLE frame has {segments} segments, expected {expected}", offset);
        }

        native.Clear();
        for (var k = 0; k < segments; k++)
        {
            var start = BinaryPrimitives.ReadUInt32LittleEndian(frame[(4 + (4 * k))..]);
            var end = k + 1 < segments ? BinaryPrimitives.ReadUInt32LittleEndian(frame[(8 + (4 * k))..]) : (uint)frame.Length;
            if (start < 64 || start > frame.Length || end > frame.Length || end < start)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"RLE segment {k} has offsets {start}..{end} outside the frame of {frame.Length} bytes", offset);
            }

            var sample = k / bytesPerSample;
            var byteFromMsb = k % bytesPerSample;
            var lane = (sample * bytesPerSample) + (bytesPerSample - 1 - byteFromMsb);
            var produced = DecodeSegment(frame[(int)start..(int)end], native, lane, samples * bytesPerSample, pixels);
            if (produced < pixels)
            {
                // As dcmtk ("insufficient data"): a short segment is corrupt data, never zero-filled.
                throw new ImageReadException(ImageReadError.CorruptPixelData, path, $"RLE segment {k} decodes to {produced} of {pixels} bytes (the compressed data is cut short or corrupt)", offset + start);
            }
        }
    }

    /// <summary>PackBits into every <paramref name="stride"/>-th byte of <paramref name="dest"/> starting at <paramref name="lane"/>; extra output is dropped; returns the bytes produced (at most <paramref name="count"/>).</summary>
    private static int DecodeSegment(ReadOnlySpan<byte> src, Span<byte> dest, int lane, int stride, int count)
    {
        var i = 0;
        var o = 0;
        while (i < src.Length && o < count)
        {
            var n = (sbyte)src[i++];
            if (n >= 0)
            {
                if (i + n + 1 > src.Length)
                {
                    break; // a literal run cut short: the output falls short and the caller reports it
                }

                var run = n + 1;
                for (var j = 0; j < run && o < count; j++)
                {
                    dest[lane + (o++ * stride)] = src[i + j];
                }

                i += n + 1;
            }
            else if (n != -128)
            {
                if (i >= src.Length)
                {
                    break;
                }

                var b = src[i++];
                var run = 1 - n;
                for (var j = 0; j < run && o < count; j++)
                {
                    dest[lane + (o++ * stride)] = b;
                }
            }
        }

        return o;
    }
}
