namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// Buffered reads off a raw HTTP/1.1 byte stream for the scripted test ends: up to a delimiter, an exact count, or the
/// close. It knows nothing of the proxy's own parsers, so the tests do not check the relay with its own code.
/// </summary>
internal sealed class WireReader(Stream stream)
{
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>Bytes through the first <paramref name="delimiter"/>; null if the stream ended before it.</summary>
    public async Task<byte[]?> ReadThroughAsync(byte[] delimiter, CancellationToken ct)
    {
        var searched = 0;
        while (true)
        {
            var found = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf(delimiter);
            if (found >= 0)
            {
                var length = searched + found + delimiter.Length;
                var bytes = _buffer.AsSpan(_start, length).ToArray();
                _start += length;
                return bytes;
            }

            searched = Math.Max(0, _end - _start - delimiter.Length + 1);
            if (!await FillAsync(ct))
            {
                return null;
            }
        }
    }

    /// <summary>Exactly <paramref name="count"/> bytes; null if the stream ended first (or the count is beyond what a test sends: 64 MiB).</summary>
    public async Task<byte[]?> ReadExactlyAsync(long count, CancellationToken ct)
    {
        if (count > 64 << 20)
        {
            return null;
        }

        var result = new byte[count];
        long copied = 0;
        while (copied < count)
        {
            if (_end == _start && !await FillAsync(ct))
            {
                return null;
            }

            var take = (int)Math.Min(count - copied, _end - _start);
            _buffer.AsSpan(_start, take).CopyTo(result.AsSpan((int)copied));
            _start += take;
            copied += take;
        }

        return result;
    }

    /// <summary>
    /// A chunked body (RFC 9112 7.1): the data it carries, and its bytes as they came (sizes, extensions, trailers);
    /// null if the stream ended inside it.
    /// </summary>
    public async Task<(byte[] Data, byte[] Raw)?> ReadChunkedAsync(CancellationToken ct)
    {
        using var data = new MemoryStream();
        using var raw = new MemoryStream();
        while (true)
        {
            var line = await ReadThroughAsync("\r\n"u8.ToArray(), ct);
            if (line is null)
            {
                return null;
            }

            raw.Write(line);
            var text = System.Text.Encoding.Latin1.GetString(line, 0, line.Length - 2);
            var semicolon = text.IndexOf(';', StringComparison.Ordinal);
            var size = long.Parse(semicolon < 0 ? text : text[..semicolon], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0)
            {
                break;
            }

            var chunk = await ReadExactlyAsync(size + 2, ct);
            if (chunk is null)
            {
                return null;
            }

            raw.Write(chunk);
            data.Write(chunk, 0, chunk.Length - 2);
        }

        while (true)
        {
            var trailer = await ReadThroughAsync("\r\n"u8.ToArray(), ct);
            if (trailer is null)
            {
                return null;
            }

            raw.Write(trailer);
            if (trailer.Length == 2)
            {
                return (data.ToArray(), raw.ToArray());
            }
        }
    }

    /// <summary>Everything until the other end closes.</summary>
    public async Task<byte[]> ReadToEndAsync(CancellationToken ct)
    {
        using var all = new MemoryStream();
        do
        {
            all.Write(_buffer, _start, _end - _start);
            _start = _end;
        }
        while (await FillAsync(ct));

        return all.ToArray();
    }

    /// <summary>
    /// Waits for the other end's next move: true if it closed the stream (or reset it) with nothing more to read, false
    /// if bytes arrived.
    /// </summary>
    public async Task<bool> EndsAsync(CancellationToken ct)
    {
        if (_end > _start)
        {
            return false;
        }

        try
        {
            return !await FillAsync(ct);
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
        _end += n;
        return n > 0;
    }
}
