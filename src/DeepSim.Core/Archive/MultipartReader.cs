using System.Text;

namespace DeepSim.Archive;

/// <summary>
/// Reads a multipart/related body (RFC 2046) part by part as it arrives, so that a WADO-RS retrieval reports progress
/// per instance and never holds more than the current part and one read buffer beyond the parts already returned.
/// </summary>
internal sealed class MultipartReader
{
    private const int ChunkBytes = 81920;
    private readonly Stream _stream;
    private readonly byte[] _delimiter;
    private readonly Uri _uri;
    private byte[] _buffer = new byte[ChunkBytes * 2];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _started;
    private bool _finished;

    public MultipartReader(Stream stream, string boundary, Uri uri)
    {
        _stream = stream;
        _delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        _uri = uri;
    }

    /// <summary>Bytes read from the stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The boundary parameter of a multipart Content-Type, without quotes, or null.</summary>
    public static string? Boundary(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        foreach (var raw in contentType.Split(';'))
        {
            var p = raw.Trim();
            if (p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
            {
                var v = p["boundary=".Length..].Trim();
                return v.Length >= 2 && v[0] == '"' && v[^1] == '"' ? v[1..^1] : v;
            }
        }

        return null;
    }

    /// <summary>The next part (its Content-Type, or null when it has none, and its body), or null after the last.</summary>
    public async Task<(string? ContentType, byte[] Body)?> ReadPartAsync(CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return null;
        }

        if (!_started)
        {
            // The preamble (usually empty) runs up to the first delimiter.
            var first = await FindAsync(_delimiter, 0, cancellationToken).ConfigureAwait(false);
            if (first < 0)
            {
                throw Malformed("no boundary delimiter in the body");
            }

            _start = first + _delimiter.Length;
            _started = true;
        }

        // After a delimiter: "--" closes the body, else transport padding and CRLF, then the part's headers.
        if (!await EnsureAsync(2, cancellationToken).ConfigureAwait(false))
        {
            throw Malformed("the body ends after a boundary delimiter");
        }

        if (_buffer[_start] == (byte)'-' && _buffer[_start + 1] == (byte)'-')
        {
            _finished = true;
            return null;
        }

        var lineEnd = await FindAsync("\r\n"u8.ToArray(), 0, cancellationToken).ConfigureAwait(false);
        if (lineEnd < 0)
        {
            throw Malformed("the body ends inside a boundary line");
        }

        _start = lineEnd + 2;
        var headersEnd = await FindAsync("\r\n\r\n"u8.ToArray(), -2, cancellationToken).ConfigureAwait(false);
        if (headersEnd < 0)
        {
            throw Malformed("the body ends inside a part's headers");
        }

        string? contentType = null;
        var headerText = Encoding.Latin1.GetString(_buffer, _start, Math.Max(0, headersEnd - _start));
        foreach (var line in headerText.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = line[(colon + 1)..].Trim();
            }
        }

        _start = headersEnd + 4;
        var closing = new byte[_delimiter.Length + 2];
        closing[0] = (byte)'\r';
        closing[1] = (byte)'\n';
        _delimiter.CopyTo(closing, 2);
        var bodyEnd = await FindAsync(closing, 0, cancellationToken).ConfigureAwait(false);
        if (bodyEnd < 0)
        {
            throw Malformed("the body ends inside a part (the connection may have been cut)");
        }

        var body = _buffer.AsSpan(_start, bodyEnd - _start).ToArray();
        _start = bodyEnd + closing.Length;
        return (contentType, body);
    }

    private InvalidDataException Malformed(string what) => new($"the multipart answer of {_uri} is malformed: {what}.");

    /// <summary>Index (in the buffer) of the next occurrence of <paramref name="pattern"/> at or after the current start (or start + <paramref name="from"/> when negative, for a pattern that may begin before it), reading more as needed; -1 at the end of the stream.</summary>
    private async Task<int> FindAsync(byte[] pattern, int from, CancellationToken cancellationToken)
    {
        var searched = Math.Max(0, _start + from);
        while (true)
        {
            var at = _buffer.AsSpan(searched, _end - searched).IndexOf(pattern);
            if (at >= 0)
            {
                return searched + at;
            }

            searched = Math.Max(_start, _end - pattern.Length + 1);
            var before = _start;
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return -1;
            }

            searched -= before - _start; // the buffer may have been compacted
        }
    }

    private async Task<bool> EnsureAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads one more chunk, compacting or growing the buffer; false at the end of the stream.</summary>
    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_eof)
        {
            return false;
        }

        // Compact only when the free tail is too small (compacting on every read would copy a large part many times).
        if (_start > 0 && _buffer.Length - _end < ChunkBytes)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_buffer.Length - _end < ChunkBytes)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _end + ChunkBytes));
        }

        var n = await _stream.ReadAsync(_buffer.AsMemory(_end, _buffer.Length - _end), cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            _eof = true;
            return false;
        }

        _end += n;
        BytesRead += n;
        return true;
    }
}
