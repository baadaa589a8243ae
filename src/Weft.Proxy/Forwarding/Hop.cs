using System.Collections.Frozen;
using System.Text;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// The hop-by-hop headers (RFC 9110 7.6.1, and the proxy-only fields beside them), never copied from one hop to the next,
/// in requests and responses alike. It is the set YARP's forwarder drops (its <c>RequestUtilities</c>), so the full path
/// drops these (from its own copy); the fast path (<see cref="Http1.RequestHead"/>, <see cref="Http1.ResponseHead"/>) and
/// the mirror (<see cref="RequestMirror"/>) read this set to drop the same. The fast path's response keeps
/// <c>Transfer-Encoding</c>, as it relays a chunked body as it came instead of re-framing it.
/// </summary>
internal static class Hop
{
    public static readonly FrozenSet<string> Headers = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
    [
        "Connection",
        "Transfer-Encoding",
        "Keep-Alive",
        "Upgrade",
        "Proxy-Connection",
        "Proxy-Authenticate",
        "Proxy-Authentication-Info",
        "Proxy-Authorization",
        "Proxy-Features",
        "Proxy-Instruction",
        "Security-Scheme",
        "ALPN",
        "Close",
        "HTTP2-Settings",
        "Upgrade-Insecure-Requests",
        "TE",
        "Alt-Svc",
    ]);

    // The same names as bytes, by length, for the fast path's parsers (a header name is a token: ASCII).
    private static readonly byte[][][] NamesByLength = ByLength(Headers);

    public static bool IsHopByHop(string name) => Headers.Contains(name);

    /// <summary>Whether a header name as it came in a message head (a token) is one of <see cref="Headers"/>.</summary>
    public static bool IsHopByHop(ReadOnlySpan<byte> name)
    {
        if (name.Length >= NamesByLength.Length)
        {
            return false;
        }

        foreach (var candidate in NamesByLength[name.Length])
        {
            if (Ascii.EqualsIgnoreCase(name, candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static byte[][][] ByLength(FrozenSet<string> names)
    {
        var table = new byte[names.Max(n => n.Length) + 1][][];
        for (var length = 0; length < table.Length; length++)
        {
            table[length] = [.. names.Where(n => n.Length == length).Select(Encoding.ASCII.GetBytes)];
        }

        return table;
    }
}
