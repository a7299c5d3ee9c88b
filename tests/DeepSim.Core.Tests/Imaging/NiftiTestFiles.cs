using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepSim.Tests.Imaging;

/// <summary>Writes small NIfTI-1 files byte by byte, for bad-input tests that need precise control of each field.</summary>
internal sealed class NiftiTestFile
{
    public short[] Dim { get; set; } = [3, 4, 3, 2, 1, 1, 1, 1];

    public short Datatype { get; set; } = 4;

    public short Bitpix { get; set; } = 16;

    public float VoxOffset { get; set; } = 352;

    public float SclSlope { get; set; }

    public float SclInter { get; set; }

    public bool BigEndian { get; set; }

    public int SizeofHdr { get; set; } = 348;

    public string Magic { get; set; } = "n+1";

    public byte[] Data { get; set; } = new byte[4 * 3 * 2 * 2];

    public byte[] Build()
    {
        var h = new byte[352];
        void I32(int o, int v)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(o), v);
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(o), v);
            }
        }

        void I16(int o, short v)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteInt16BigEndian(h.AsSpan(o), v);
            }
            else
            {
                BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(o), v);
            }
        }

        void F32(int o, float v)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteSingleBigEndian(h.AsSpan(o), v);
            }
            else
            {
                BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(o), v);
            }
        }

        I32(0, SizeofHdr);
        for (var i = 0; i < 8; i++)
        {
            I16(40 + (2 * i), Dim[i]);
        }

        I16(70, Datatype);
        I16(72, Bitpix);
        F32(76, 1);
        for (var i = 1; i < 8; i++)
        {
            F32(76 + (4 * i), 1);
        }

        F32(108, VoxOffset);
        F32(112, SclSlope);
        F32(116, SclInter);
        System.Text.Encoding.ASCII.GetBytes(Magic).CopyTo(h, 344);
        return [.. h, .. Data];
    }

    public void Write(string path) => File.WriteAllBytes(path, Build());

    public void WriteGzip(string path, int keepBytes = int.MaxValue)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(Build());
        }

        var bytes = ms.ToArray();
        File.WriteAllBytes(path, bytes[..Math.Min(bytes.Length, keepBytes)]);
    }
}
