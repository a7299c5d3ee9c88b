using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DeepSim.Imaging.Formats;

namespace DeepSim.Tests.Imaging;

/// <summary>
/// A minimal PNG encoder for tests: any colour type / bit depth (valid or not), Adam7, every filter type (cycled
/// per row), IDAT split into small chunks, and hooks to damage the result. PIL decodes its output in the tests,
/// which checks the encoder independently of DeepSim's decoder.
/// </summary>
internal sealed class TestPngEncoder
{
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    public required int Width { get; init; }

    public required int Height { get; init; }

    public required int BitDepth { get; init; }

    public required int ColorType { get; init; }

    /// <summary>Samples, x fastest, channels interleaved.</summary>
    public required int[] Samples { get; init; }

    public byte[]? Palette { get; init; }

    public bool Interlaced { get; init; }

    public byte InterlaceByte => Interlaced ? (byte)1 : (byte)0;

    public byte? InterlaceOverride { get; init; }

    public (uint X, uint Y)? PixelsPerMetre { get; init; }

    public int IdatChunkSize { get; init; } = 64;

    /// <summary>Filter type byte for (pass, row); default cycles through 0..4.</summary>
    public Func<int, int, byte>? Filter { get; init; }

    /// <summary>Bytes of the inflated scanline data dropped from the end.</summary>
    public int DropFilteredBytes { get; init; }

    /// <summary>An extra chunk inserted before the first IDAT.</summary>
    public (string Type, byte[] Data)? ExtraChunk { get; init; }

    public int Channels => ColorType switch
    {
        2 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    };

    public static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        var crcInput = new byte[4 + data.Length];
        head.AsSpan(4, 4).CopyTo(crcInput);
        data.CopyTo(crcInput.AsSpan(4));
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.Compute(crcInput));
        s.Write(crc);
    }

    public byte[] Encode()
    {
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)Height);
        ihdr[8] = (byte)BitDepth;
        ihdr[9] = (byte)ColorType;
        ihdr[12] = InterlaceOverride ?? InterlaceByte;
        WriteChunk(ms, "IHDR", ihdr);
        if (PixelsPerMetre is (uint px, uint py))
        {
            var phys = new byte[9];
            BinaryPrimitives.WriteUInt32BigEndian(phys, px);
            BinaryPrimitives.WriteUInt32BigEndian(phys.AsSpan(4), py);
            phys[8] = 1;
            WriteChunk(ms, "pHYs", phys);
        }

        if (Palette is not null)
        {
            WriteChunk(ms, "PLTE", Palette);
        }

        if (ExtraChunk is (string t, byte[] d))
        {
            WriteChunk(ms, t, d);
        }

        var filtered = FilteredData();
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
        {
            zs.Write(filtered, 0, filtered.Length - DropFilteredBytes);
        }

        var compressed = z.ToArray();
        for (var off = 0; off < compressed.Length; off += IdatChunkSize)
        {
            WriteChunk(ms, "IDAT", compressed.AsSpan(off, Math.Min(IdatChunkSize, compressed.Length - off)));
        }

        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private byte[] FilteredData()
    {
        var bits = Channels * BitDepth;
        var bpp = Math.Max(1, bits / 8);
        var output = new MemoryStream();
        var passes = Interlaced ? Adam7 : [(0, 0, 1, 1)];
        for (var p = 0; p < passes.Length; p++)
        {
            var (x0, y0, dx, dy) = passes[p];
            var pw = Width > x0 ? (Width - x0 + dx - 1) / dx : 0;
            var ph = Height > y0 ? (Height - y0 + dy - 1) / dy : 0;
            if (pw == 0 || ph == 0)
            {
                continue;
            }

            var rowBytes = ((pw * bits) + 7) / 8;
            var prev = new byte[rowBytes];
            for (var r = 0; r < ph; r++)
            {
                var raw = new byte[rowBytes];
                var y = y0 + (r * dy);
                for (var i = 0; i < pw; i++)
                {
                    var x = x0 + (i * dx);
                    for (var c = 0; c < Channels; c++)
                    {
                        var sample = Samples[(((y * Width) + x) * Channels) + c];
                        var k = (i * Channels) + c;
                        if (BitDepth == 16)
                        {
                            raw[2 * k] = (byte)(sample >> 8);
                            raw[(2 * k) + 1] = (byte)sample;
                        }
                        else if (BitDepth == 8)
                        {
                            raw[k] = (byte)sample;
                        }
                        else
                        {
                            var bit = k * BitDepth;
                            raw[bit >> 3] |= (byte)(sample << (8 - BitDepth - (bit & 7)));
                        }
                    }
                }

                var filter = Filter?.Invoke(p, r) ?? (byte)((r + p) % 5);
                output.WriteByte(filter);
                for (var i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? raw[i - bpp] : 0;
                    int b = prev[i];
                    int c = i >= bpp ? prev[i - bpp] : 0;
                    var predictor = filter switch
                    {
                        1 => a,
                        2 => b,
                        3 => (a + b) >> 1,
                        4 => Paeth(a, b, c),
                        _ => 0,
                    };
                    output.WriteByte((byte)(raw[i] - predictor));
                }

                prev = raw;
            }
        }

        return output.ToArray();
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
