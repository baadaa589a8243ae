using System.Globalization;

namespace Weft.Proxy.Forwarding;

internal static class Authority
{
    /// <summary>host:port, with an IPv6 literal bracketed.</summary>
    public static string Format(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')
            ? string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
}
