using System.Buffers.Binary;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// The palette colour lookup tables of a PALETTE COLOR image (PS3.3 C.7.6.3.1.5 and C.7.9): a stored value indexes
/// the red, green and blue tables, and DeepSim keeps the luminance of the colour.
/// </summary>
internal sealed class DicomPalette
{
    private readonly ushort[][] _lut;
    private readonly int _first;

    private DicomPalette(ushort[][] lut, int first)
    {
        _lut = lut;
        _first = first;
    }

    /// <summary>
    /// The luminance (0.299 R + 0.587 G + 0.114 B) of the colour that <paramref name="stored"/> indexes; values below the
    /// first mapped one or beyond the tables take the first or last entry.
    /// </summary>
    public float Luminance(double stored)
    {
        var idx = (int)Math.Clamp(stored - _first, 0, _lut[0].Length - 1);
        return (float)((0.299 * _lut[0][idx]) + (0.587 * _lut[1][idx]) + (0.114 * _lut[2][idx]));
    }

    /// <summary>Reads the red, green and blue lookup tables (plain or segmented) of a PALETTE COLOR image.</summary>
    /// <exception cref="ImageReadException">Missing, short or inconsistent lookup tables.</exception>
    public static DicomPalette Read(DicomFile file)
    {
        var ds = file.Dataset;
        var path = file.Path;
        var luts = new ushort[3][];
        var first = 0;
        for (var c = 0; c < 3; c++)
        {
            var desc = ds.Find(DicomTags.Next(DicomTags.RedPaletteColorLookupTableDescriptor, c));
            var segmented = ds.Find(DicomTags.Next(DicomTags.SegmentedRedPaletteColorLookupTableData, c));
            var data = ds.Find(DicomTags.Next(DicomTags.RedPaletteColorLookupTableData, c)) ?? segmented;
            if (desc is null || data is null)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, "PALETTE COLOR image without its lookup tables.");
            }

            var d = ds.GetValueBytes(desc);
            if (d.Length < 6)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, "palette lookup table descriptor too short.", desc.FileOffset);
            }

            var w = new int[3];
            for (var i = 0; i < 3; i++)
            {
                w[i] = ds.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(d[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(d[(2 * i)..]);
            }

            var entries = w[0] == 0 ? 65536 : w[0];
            first = desc.Vr == "SS" ? (short)w[1] : w[1];
            var bits = w[2];
            var bytes = ds.GetValueBytes(data);
            var lut = new ushort[entries];
            if (ReferenceEquals(data, segmented))
            {
                var words = new ushort[bytes.Length / 2];
                for (var i = 0; i < words.Length; i++)
                {
                    words[i] = ds.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
                }

                lut = ExpandSegmentedLut(words, entries, path);
            }
            else if (bytes.Length >= entries * 2)
            {
                for (var i = 0; i < entries; i++)
                {
                    lut[i] = ds.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
                }

                if (bits == 8 && lut.All(v => v <= 255) == false && lut.All(v => (v & 0xFF) == (v >> 8)))
                {
                    for (var i = 0; i < entries; i++)
                    {
                        lut[i] = (ushort)(lut[i] & 0xFF);
                    }
                }
            }
            else if (bytes.Length >= entries)
            {
                for (var i = 0; i < entries; i++)
                {
                    lut[i] = bytes[i];
                }
            }
            else
            {
                throw new ImageReadException(ImageReadError.DataSizeMismatch, path, $"palette lookup table holds {bytes.Length} bytes for {entries} entries.", data.FileOffset);
            }

            luts[c] = lut;
        }

        if (luts[0].Length != luts[1].Length || luts[0].Length != luts[2].Length)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, "palette lookup tables differ in length.");
        }

        return new DicomPalette(luts, first);
    }

    /// <summary>
    /// Expands segmented palette LUT data (PS3.3 C.7.9.2): discrete (0), linear (1) and indirect (2) segments.
    /// Output is capped at <paramref name="entries"/>; indirect segments may not nest, so expansion is bounded.
    /// </summary>
    internal static ushort[] ExpandSegmentedLut(ushort[] words, int entries, string path)
    {
        var lut = new List<ushort>(entries);

        void Run(int start, int maxSegments, bool allowIndirect)
        {
            var p = start;
            for (var segment = 0; segment < maxSegments && p + 1 < words.Length && lut.Count < entries; segment++)
            {
                var opcode = words[p];
                var n = words[p + 1];
                switch (opcode)
                {
                    case 0:
                        for (var i = 0; i < n && p + 2 + i < words.Length && lut.Count < entries; i++)
                        {
                            lut.Add(words[p + 2 + i]);
                        }

                        p += 2 + n;
                        break;
                    case 1 when p + 2 < words.Length:
                        double y0 = lut.Count > 0 ? lut[^1] : 0;
                        var y1 = words[p + 2];
                        for (var i = 1; i <= n && lut.Count < entries; i++)
                        {
                            lut.Add((ushort)Math.Round(y0 + ((y1 - y0) * i / n)));
                        }

                        p += 3;
                        break;
                    case 2 when allowIndirect && p + 3 < words.Length:
                        var offset = (words[p + 2] | (words[p + 3] << 16)) / 2;
                        if (offset < 0 || offset >= words.Length)
                        {
                            throw new ImageReadException(ImageReadError.CorruptHeader, path, "segmented palette lookup table refers outside its data.");
                        }

                        Run(offset, n, allowIndirect: false);
                        p += 4;
                        break;
                    default:
                        throw new ImageReadException(ImageReadError.CorruptHeader, path, $"segmented palette lookup table has a bad segment (opcode {opcode}).");
                }
            }
        }

        Run(0, int.MaxValue, allowIndirect: true);
        while (lut.Count < entries)
        {
            lut.Add(lut.Count > 0 ? lut[^1] : (ushort)0);
        }

        return [.. lut];
    }
}
