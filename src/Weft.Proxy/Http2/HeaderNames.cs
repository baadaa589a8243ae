namespace Weft.Proxy.Http2;

/// <summary>Response header names as strings: the common ones without an allocation each time.</summary>
internal static class HeaderNames
{
    private static readonly string[] Known =
    [
        "content-type", "content-length", "date", "server", "grpc-status", "grpc-message", "grpc-encoding",
        "grpc-accept-encoding", "grpc-status-details-bin", "cache-control", "content-encoding", "etag", "last-modified",
        "location", "vary", "set-cookie", "access-control-allow-origin", "expires", "accept-ranges", "age", "allow",
        "content-language", "content-range", "strict-transport-security", "www-authenticate", "retry-after", "link",
        "x-content-type-options", "via", "trailer",
    ];

    public static string Get(ReadOnlySpan<byte> name)
    {
        foreach (var known in Known)
        {
            if (known.Length == name.Length && System.Text.Ascii.Equals(name, known))
            {
                return known;
            }
        }

        return System.Text.Encoding.Latin1.GetString(name);
    }
}
