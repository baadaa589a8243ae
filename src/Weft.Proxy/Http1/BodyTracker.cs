namespace Weft.Proxy.Http1;

/// <summary>
/// Where a response body ends, followed as its bytes stream past (RFC 9112 6.3): after Content-Length bytes, at the end
/// of the chunked framing (<see cref="ChunkedScanner"/>), at the connection's close, or at once for no body.
/// </summary>
internal struct BodyTracker(ResponseHead head)
{
    private readonly BodyFraming _framing = head.Framing;
    private long _remaining = head.ContentLength;
    private ChunkedScanner _chunks;

    public readonly bool Done => _framing switch
    {
        BodyFraming.None => true,
        BodyFraming.Length => _remaining == 0,
        BodyFraming.Chunked => _chunks.Done,
        _ => false,
    };

    /// <summary>The body ends when the connection does (its close is its end, not a cut).</summary>
    public readonly bool EndsAtClose => _framing == BodyFraming.UntilClose;

    /// <summary>How many of <paramref name="data"/>'s bytes belong to the body; -1 if its chunked framing is malformed.</summary>
    public int Take(ReadOnlySpan<byte> data)
    {
        switch (_framing)
        {
            case BodyFraming.None:
                return 0;
            case BodyFraming.Length:
                var take = (int)Math.Min(data.Length, _remaining);
                _remaining -= take;
                return take;
            case BodyFraming.Chunked:
                return _chunks.Scan(data);
            default:
                return data.Length;
        }
    }
}
