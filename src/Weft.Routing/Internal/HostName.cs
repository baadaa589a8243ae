using System.Net;

namespace Weft.Routing.Internal;

/// <summary>
/// Hosts as the model reads them, from what an app dialled: one canonical spelling (<see cref="Canonical"/>), and whether
/// one is an address (<see cref="IsAddress"/>). A host's every use in the model goes through here, so that the compiled
/// policies' keys, a host's resolution and the declared external hosts agree.
/// </summary>
internal static class HostName
{
    /// <summary>
    /// The longest host the model can know: a DNS name is at most 253 characters (254 with a final dot), an IP address
    /// far fewer. A longer one (as <see cref="Canonical"/> writes it) is unknown without being resolved.
    /// </summary>
    public const int MaxLength = 254;

    /// <summary>Longer than any IP address in brackets (an IPv6 address with an IPv4 tail is 45 characters): not unbracketed.</summary>
    private const int MaxBracketedAddress = 64;

    /// <summary>
    /// A host without surrounding blanks or final dots, in lower case, and an address without brackets (brackets around
    /// anything else are part of an unknown host). The same instance when it is so already, and its own canonical host,
    /// so a key and what it is resolved as agree. One pass over the host (an app chooses it; a loop of passes would cost
    /// the square of its length). Spellings that differ otherwise (<c>svc</c> and <c>svc.ns</c>, or an IPv4 address
    /// written short) are different hosts; the ones the model knows are bounded by it, the others are not kept.
    /// </summary>
    public static string Canonical(string host)
    {
        var trimmed = Trim(host.AsSpan());
        var h = (trimmed.Length == host.Length ? host : trimmed.ToString()).ToLowerInvariant();
        var span = h.AsSpan();
        while (span.Length is > 2 and <= MaxBracketedAddress && span[0] == '[' && span[^1] == ']' && IsAddress(span[1..^1]))
        {
            span = Trim(span[1..^1]);
        }

        return span.Length == h.Length ? h : span.ToString();
    }

    /// <summary>
    /// Whether <paramref name="host"/> is an IP address the mesh can have: not one with a zone (<c>%eth0</c>), which no
    /// mesh address has and whose name the parser looks up in the OS.
    /// </summary>
    public static bool IsAddress(ReadOnlySpan<char> host) => host.IndexOf('%') < 0 && IPAddress.TryParse(host, out _);

    private static ReadOnlySpan<char> Trim(ReadOnlySpan<char> host)
    {
        host = host.TrimStart();
        var end = host.Length;
        while (end > 0 && (host[end - 1] == '.' || char.IsWhiteSpace(host[end - 1])))
        {
            end--;
        }

        return host[..end];
    }
}
