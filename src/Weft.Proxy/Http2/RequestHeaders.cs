using System.Buffers;
using System.Net.Http;
using System.Net.Http.Headers;

namespace Weft.Proxy.Http2;

/// <summary>
/// A request's header block (RFC 9113 8.3): the pseudo-headers, then its headers and its content's, names in lower
/// case, without the hop-by-hop ones, which hold those HTTP/2 forbids (8.2.2). Encoded into a buffer of the calling
/// thread's, which the connection copies into its pending frames at once, so a request holds no header buffer of its own.
/// </summary>
internal static class RequestHeaders
{
    // The static table's indices (RFC 7541 Appendix A).
    private const int MethodGet = 2;
    private const int MethodPost = 3;
    private const int PathRoot = 4;
    private const int SchemeHttp = 6;
    private const int SchemeHttps = 7;

    [ThreadStatic]
    private static BlockWriter? t_block;

    /// <summary>The block, valid until the thread's next call; <paramref name="hasBody"/>: DATA frames follow (else the HEADERS frame ends the stream).</summary>
    public static BlockWriter Encode(HttpRequestMessage request, out bool hasBody)
    {
        var block = t_block ??= new BlockWriter();
        block.Clear();
        var uri = request.RequestUri ?? throw new InvalidOperationException("the request has no URI");

        var method = request.Method;
        if (method == HttpMethod.Get)
        {
            HpackEncoder.EncodeIndexed(MethodGet, block);
        }
        else if (method == HttpMethod.Post)
        {
            HpackEncoder.EncodeIndexed(MethodPost, block);
        }
        else
        {
            HpackEncoder.Encode(":method", method.Method, block);
        }

        HpackEncoder.EncodeIndexed(uri.Scheme == Uri.UriSchemeHttps ? SchemeHttps : SchemeHttp, block);
        HpackEncoder.Encode(":authority", request.Headers.Host ?? uri.Authority, block);
        var path = uri.PathAndQuery;
        if (path == "/")
        {
            HpackEncoder.EncodeIndexed(PathRoot, block);
        }
        else
        {
            HpackEncoder.Encode(":path", path, block);
        }

        Fields(request.Headers, block);
        hasBody = request.Content is { } content && content.Headers.ContentLength != 0;
        if (request.Content is not null)
        {
            Fields(request.Content.Headers, block);
        }

        return block;
    }

    private static void Fields(HttpHeaders headers, BlockWriter block)
    {
        Span<char> lower = stackalloc char[128];
        foreach (var (name, values) in headers.NonValidated)
        {
            // Host is :authority; the hop-by-hop headers (the set the rest of the proxy drops, Forwarding.Hop) hold every
            // field HTTP/2 forbids (RFC 9113 8.2.2) but TE, which may say "trailers" (gRPC's).
            var te = name.Equals("TE", StringComparison.OrdinalIgnoreCase);
            if (!te && (Forwarding.Hop.IsHopByHop(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (name.Length > lower.Length)
            {
                lower = new char[name.Length];
            }

            var lowered = lower[..name.Length];
            name.AsSpan().ToLowerInvariant(lowered);
            var sensitive = lowered.SequenceEqual("authorization") || lowered.SequenceEqual("cookie");
            foreach (var value in values)
            {
                if (te && !value.Equals("trailers", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (sensitive)
                {
                    HpackEncoder.EncodeNeverIndexed(lowered, value, block);
                }
                else
                {
                    HpackEncoder.Encode(lowered, value, block);
                }
            }
        }
    }

    /// <summary>A reusable buffer of pooled bytes the encoder appends to.</summary>
    internal sealed class BlockWriter : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[1024];
        private int _count;

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _count);

        public void Clear()
        {
            _count = 0;
            if (_buffer.Length > 16 * 1024)
            {
                _buffer = new byte[1024]; // one large block does not stay with the thread
            }
        }

        public void Advance(int count) => _count += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_count);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_count);
        }

        private void Ensure(int sizeHint)
        {
            var needed = Math.Max(sizeHint, 1);
            if (_buffer.Length - _count < needed)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _count + needed));
            }
        }
    }
}
