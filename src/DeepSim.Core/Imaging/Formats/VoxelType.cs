using System.Buffers.Binary;

namespace DeepSim.Imaging.Formats;

/// <summary>Stored voxel element types that the readers decode to float32.</summary>
internal enum VoxelType
{
    /// <summary>Unsigned 8-bit.</summary>
    UInt8,

    /// <summary>Signed 8-bit.</summary>
    Int8,

    /// <summary>Unsigned 16-bit.</summary>
    UInt16,

    /// <summary>Signed 16-bit.</summary>
    Int16,

    /// <summary>Unsigned 32-bit.</summary>
    UInt32,

    /// <summary>Signed 32-bit.</summary>
    Int32,

    /// <summary>Unsigned 64-bit.</summary>
    UInt64,

    /// <summary>Signed 64-bit.</summary>
    Int64,

    /// <summary>IEEE single.</summary>
    Float32,

    /// <summary>IEEE double.</summary>
    Float64,
}

/// <summary>Converts stored elements of a <see cref="VoxelType"/> to float32, in chunks, with cancellation.</summary>
internal static class VoxelDecoding
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(VoxelType type) => type switch
    {
        VoxelType.UInt8 or VoxelType.Int8 => 1,
        VoxelType.UInt16 or VoxelType.Int16 => 2,
        VoxelType.UInt32 or VoxelType.Int32 or VoxelType.Float32 => 4,
        _ => 8,
    };

    /// <summary>
    /// Converts whole elements of <paramref name="source"/> into <paramref name="destination"/>
    /// (which holds exactly source.Length / size elements). 32/64-bit integers and doubles are rounded to the nearest float.
    /// </summary>
    public static void Convert(ReadOnlySpan<byte> source, VoxelType type, bool bigEndian, Span<float> destination)
    {
        var n = destination.Length;
        switch (type)
        {
            case VoxelType.UInt8:
                for (var i = 0; i < n; i++)
                {
                    destination[i] = source[i];
                }

                break;
            case VoxelType.Int8:
                for (var i = 0; i < n; i++)
                {
                    destination[i] = (sbyte)source[i];
                }

                break;
            case VoxelType.UInt16:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 2, 2);
                    destination[i] = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
                }

                break;
            case VoxelType.Int16:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 2, 2);
                    destination[i] = bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s);
                }

                break;
            case VoxelType.UInt32:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 4, 4);
                    destination[i] = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
                }

                break;
            case VoxelType.Int32:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 4, 4);
                    destination[i] = bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s);
                }

                break;
            case VoxelType.UInt64:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 8, 8);
                    destination[i] = bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);
                }

                break;
            case VoxelType.Int64:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 8, 8);
                    destination[i] = bigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s);
                }

                break;
            case VoxelType.Float32:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 4, 4);
                    destination[i] = bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s);
                }

                break;
            case VoxelType.Float64:
                for (var i = 0; i < n; i++)
                {
                    var s = source.Slice(i * 8, 8);
                    destination[i] = (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown voxel type.");
        }
    }

    /// <summary>
    /// Reads <paramref name="destination"/>.Length elements from the stream, a chunk at a time, checking cancellation
    /// between chunks. Returns the number of whole elements read: fewer than asked means the stream ended early.
    /// </summary>
    public static long Fill(Stream stream, VoxelType type, bool bigEndian, float[] destination, CancellationToken cancellationToken)
    {
        var size = SizeOf(type);
        var buffer = new byte[(int)Math.Min(ChunkBytes, Math.Max(size, (long)destination.Length * size))];
        var perChunk = buffer.Length / size;
        long done = 0;
        while (done < destination.LongLength)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var want = (int)Math.Min(perChunk, destination.LongLength - done);
            var got = stream.ReadAtLeast(buffer.AsSpan(0, want * size), want * size, throwOnEndOfStream: false);
            var whole = got / size;
            Convert(buffer.AsSpan(0, whole * size), type, bigEndian, destination.AsSpan((int)done, whole));
            done += whole;
            if (got < want * size)
            {
                break;
            }
        }

        return done;
    }
}
