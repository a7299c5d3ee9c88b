using System.Buffers.Binary;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// JPEG lossless, process 14 (ITU-T T.81 annex H): Huffman-coded differences from predictors 1-7, point transform,
/// restart intervals, interleaved or one scan per component, 2-16 bit precision.
/// </summary>
internal static class JpegLosslessDecoder
{
    /// <summary>
    /// Decodes one frame into little-endian, pixel-interleaved native bytes of <paramref name="bytesPerSample"/> bytes per sample.
    /// Throws <see cref="ImageReadException"/> on malformed streams or a frame that does not match the DICOM header.
    /// </summary>
    public static void DecodeFrame(ReadOnlySpan<byte> data, Span<byte> native, int width, int height, int samples, int bytesPerSample, string path, long offset)
    {
        var state = new State(path, offset);
        var tables = new HuffmanTable?[4];
        var restartInterval = 0;
        var precision = 0;
        var components = Array.Empty<(int Id, int Index)>();
        var pos = 0;
        if (data.Length < 2 || data[0] != 0xFF || data[1] != 0xD8)
        {
            state.Fail("the JPEG stream does not start with SOI");
        }

        pos = 2;
        var scans = 0;
        while (pos + 4 <= data.Length)
        {
            if (data[pos] != 0xFF)
            {
                pos++;
                continue;
            }

            var marker = data[pos + 1];
            if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
            {
                pos++;
                continue;
            }

            if (marker == 0xD9)
            {
                break;
            }

            var len = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (len < 2 || pos + 2 + len > data.Length)
            {
                state.Fail($"JPEG marker FF{marker:X2} has a bad length {len}");
            }

            var seg = data.Slice(pos + 4, len - 2);
            switch (marker)
            {
                case 0xC3:
                    if (seg.Length < 6)
                    {
                        state.Fail("SOF3 segment too short");
                    }

                    precision = seg[0];
                    var h = BinaryPrimitives.ReadUInt16BigEndian(seg[1..]);
                    var w = BinaryPrimitives.ReadUInt16BigEndian(seg[3..]);
                    var nf = seg[5];
                    if (h != height || w != width || nf != samples || precision < 2 || precision > 16 || precision > bytesPerSample * 8 || seg.Length < 6 + (3 * nf))
                    {
                        state.Fail($"the JPEG frame ({w}x{h}, {nf} components, {precision} bits) does not match the DICOM header ({width}x{height}, {samples} samples, {bytesPerSample * 8} bits allocated)");
                    }

                    components = new (int, int)[nf];
                    for (var c = 0; c < nf; c++)
                    {
                        if (seg[6 + (3 * c) + 1] != 0x11)
                        {
                            state.Fail("subsampled JPEG lossless components are not supported");
                        }

                        components[c] = (seg[6 + (3 * c)], c);
                    }

                    break;
                case 0xC0 or 0xC1 or 0xC2 or 0xC5 or 0xC6 or 0xC7 or 0xC9 or 0xCA or 0xCB or 0xCD or 0xCE or 0xCF:
                    throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"the JPEG stream uses process SOF{marker - 0xC0}, not lossless Huffman process 14", offset);
                case 0xC4:
                    ReadHuffmanTables(seg, tables, state);
                    break;
                case 0xDD:
                    restartInterval = seg.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(seg) : 0;
                    break;
                case 0xDA:
                    if (components.Length == 0)
                    {
                        state.Fail("SOS before SOF3");
                    }

                    pos = DecodeScan(data, pos + 4 + seg.Length, seg, components, tables, restartInterval, precision, native, width, height, samples, bytesPerSample, state);
                    scans++;
                    continue;
                default:
                    break;
            }

            pos += 2 + len;
        }

        if (scans == 0)
        {
            state.Fail("the JPEG stream has no scan");
        }

    }

    private static void ReadHuffmanTables(ReadOnlySpan<byte> seg, HuffmanTable?[] tables, State state)
    {
        var p = 0;
        while (p < seg.Length)
        {
            if (p + 17 > seg.Length)
            {
                state.Fail("DHT segment too short");
            }

            var tcth = seg[p];
            var th = tcth & 0x0F;
            if (th > 3)
            {
                state.Fail("bad Huffman table id");
            }

            var counts = seg.Slice(p + 1, 16);
            var total = 0;
            foreach (var c in counts)
            {
                total += c;
            }

            if (total > 256 || p + 17 + total > seg.Length)
            {
                state.Fail("DHT segment too short");
            }

            tables[th] = new HuffmanTable(counts, seg.Slice(p + 17, total));
            p += 17 + total;
        }
    }

    private static int DecodeScan(
        ReadOnlySpan<byte> data, int pos, ReadOnlySpan<byte> sos, (int Id, int Index)[] frameComponents, HuffmanTable?[] tables,
        int restartInterval, int precision, Span<byte> native, int width, int height, int samples, int bytesPerSample, State state)
    {
        if (sos.Length < 1)
        {
            state.Fail("SOS segment too short");
        }

        var ns = sos[0];
        if (ns < 1 || ns > frameComponents.Length || sos.Length < 1 + (2 * ns) + 3)
        {
            state.Fail("bad SOS segment");
        }

        var compIndex = new int[ns];
        var compTable = new HuffmanTable[ns];
        for (var i = 0; i < ns; i++)
        {
            var id = sos[1 + (2 * i)];
            var idx = Array.FindIndex(frameComponents, c => c.Id == id);
            var td = sos[2 + (2 * i)] >> 4;
            if (idx < 0 || td > 3 || tables[td] is null)
            {
                state.Fail("SOS names an unknown component or Huffman table");
            }

            compIndex[i] = idx;
            compTable[i] = tables[td]!;
        }

        var predictor = sos[1 + (2 * ns)];
        var pointTransform = sos[3 + (2 * ns)] & 0x0F;
        if (predictor < 1 || predictor > 7 || pointTransform >= precision)
        {
            state.Fail($"JPEG lossless predictor {predictor} / point transform {pointTransform} not valid");
        }

        var mask = (1 << precision) - 1;
        var initial = 1 << (precision - pointTransform - 1);
        var reader = new BitReader(data, pos);

        // Previous and current rows of reconstructed (pre point-transform) values, per scan component.
        var prev = new int[ns][];
        var cur = new int[ns][];
        for (var i = 0; i < ns; i++)
        {
            prev[i] = new int[width];
            cur[i] = new int[width];
        }

        var mcu = 0;
        var firstLine = true;
        var restartCount = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var restartStart = mcu == 0;
                if (restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0)
                {
                    // A restart resets prediction as at the start of the scan: the line restarts as a first line.
                    reader.Restart(ref restartCount);
                    firstLine = true;
                    restartStart = true;
                }

                for (var i = 0; i < ns; i++)
                {
                    var diff = reader.DecodeDifference(compTable[i], state);
                    int pred;
                    var row = cur[i];
                    var up = prev[i];
                    if (restartStart)
                    {
                        pred = initial;
                    }
                    else if (firstLine)
                    {
                        pred = x > 0 ? row[x - 1] : up[x];
                    }
                    else if (x == 0)
                    {
                        pred = up[0];
                    }
                    else
                    {
                        var ra = row[x - 1];
                        var rb = up[x];
                        var rc = up[x - 1];
                        pred = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                    }

                    var value = (pred + diff) & mask;
                    row[x] = value;
                    var sample = (value << pointTransform) & 0xFFFF;
                    var at = ((((y * width) + x) * samples) + compIndex[i]) * bytesPerSample;
                    native[at] = (byte)sample;
                    if (bytesPerSample > 1)
                    {
                        native[at + 1] = (byte)(sample >> 8);
                    }
                }

                mcu++;
            }

            firstLine = false;
            for (var i = 0; i < ns; i++)
            {
                (prev[i], cur[i]) = (cur[i], prev[i]);
            }
        }

        return reader.EndPosition();
    }

    private sealed class State(string path, long offset)
    {
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public void Fail(string message) => throw new ImageReadException(ImageReadError.CorruptHeader, path, message, offset);
    }

    private sealed class HuffmanTable
    {
        private readonly int[] _maxCode = new int[18];
        private readonly int[] _valPtr = new int[17];
        private readonly int[] _minCode = new int[17];
        private readonly byte[] _values;

        public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            _values = values.ToArray();
            var code = 0;
            var k = 0;
            for (var l = 1; l <= 16; l++)
            {
                var n = counts[l - 1];
                _valPtr[l] = k;
                _minCode[l] = code;
                code += n;
                k += n;
                _maxCode[l] = n > 0 ? code - 1 : -1;
                code <<= 1;
            }

            _maxCode[17] = int.MaxValue;
        }

        public int MaxCode(int length) => _maxCode[length];

        public int Value(int length, int code)
        {
            var i = _valPtr[length] + code - _minCode[length];
            return (uint)i < (uint)_values.Length ? _values[i] : -1;
        }
    }

    private ref struct BitReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _pos;
        private uint _bits;
        private int _count;
        private bool _hitMarker;

        public BitReader(ReadOnlySpan<byte> data, int pos)
        {
            _data = data;
            _pos = pos;
        }

        public int EndPosition()
        {
            // Skip to the next marker.
            while (_pos + 1 < _data.Length && !(_data[_pos] == 0xFF && _data[_pos + 1] != 0x00))
            {
                _pos++;
            }

            return _pos;
        }

        public void Restart(ref int expected)
        {
            _bits = 0;
            _count = 0;
            _hitMarker = false;
            while (_pos + 1 < _data.Length && !(_data[_pos] == 0xFF && _data[_pos + 1] >= 0xD0 && _data[_pos + 1] <= 0xD7))
            {
                _pos++;
            }

            if (_pos + 1 < _data.Length)
            {
                _pos += 2;
            }

            expected = (expected + 1) & 7;
        }

        public int DecodeDifference(HuffmanTable table, State state)
        {
            var code = 0;
            var length = 0;
            int ssss;
            while (true)
            {
                code = (code << 1) | ReadBit();
                length++;
                if (length > 16)
                {
                    state.Fail("bad Huffman code in the JPEG stream");
                }

                if (code <= table.MaxCode(length))
                {
                    ssss = table.Value(length, code);
                    break;
                }
            }

            if (ssss < 0 || ssss > 16)
            {
                state.Fail($"bad difference category {ssss} in the JPEG stream");
            }

            if (ssss == 0)
            {
                return 0;
            }

            if (ssss == 16)
            {
                return 32768;
            }

            var v = ReadBits(ssss);
            return v < (1 << (ssss - 1)) ? v - (1 << ssss) + 1 : v;
        }

        private int ReadBits(int n)
        {
            var v = 0;
            for (var i = 0; i < n; i++)
            {
                v = (v << 1) | ReadBit();
            }

            return v;
        }

        private int ReadBit()
        {
            if (_count == 0)
            {
                Fill();
            }

            _count--;
            return (int)((_bits >> _count) & 1);
        }

        private void Fill()
        {
            // One byte at a time, undoing FF00 stuffing; at a marker or the end, feed zeros.
            if (_hitMarker || _pos >= _data.Length)
            {
                _bits = 0;
                _count = 8;
                return;
            }

            var b = _data[_pos];
            if (b == 0xFF)
            {
                var next = _pos + 1 < _data.Length ? _data[_pos + 1] : (byte)0xD9;
                if (next == 0x00)
                {
                    _pos += 2;
                }
                else
                {
                    _hitMarker = true;
                    _bits = 0;
                    _count = 8;
                    return;
                }
            }
            else
            {
                _pos++;
            }

            _bits = b;
            _count = 8;
        }
    }
}
