using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Weft.Routing.Policy;

namespace Weft.Routing.Resilience;

/// <summary>
/// GEP-1619 session persistence for one backend, pure: the token a client carries (cookie or header) names the endpoint
/// it was given and when. A token pins while that endpoint is among the backend's current endpoints and the absolute
/// timeout has not passed; otherwise the balancer picks and a new token is issued. The token carries no secret: a
/// forged one can only name a current endpoint of the same backend, which the client could have been given anyway.
/// </summary>
public static class SessionPin
{
    /// <summary>The token for <paramref name="endpoint"/>, issued at <paramref name="now"/>: base64url of "address:port|unix seconds".</summary>
    public static string Issue(EndpointPolicy endpoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var text = $"{endpoint.Address}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}|{now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>The index in <paramref name="endpoints"/> that <paramref name="token"/> pins, or -1 (no token, a bad one, expired, or its endpoint gone).</summary>
    public static int Pick(string? token, IReadOnlyList<EndpointPolicy> endpoints, SessionPersistencePolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(policy);
        if (string.IsNullOrEmpty(token) || token.Length > 256 || !TryRead(token, out var address, out var port, out var issued))
        {
            return -1;
        }

        if (issued > now.AddMinutes(1) || (policy.AbsoluteTimeout is { } timeout && now - issued >= timeout))
        {
            return -1;
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            if (endpoints[i].Port == port && string.Equals(endpoints[i].Address, address, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool TryRead(string token, out string address, out int port, out DateTimeOffset issued)
    {
        (address, port, issued) = ("", 0, default);
        Span<byte> bytes = stackalloc byte[192];
        // The status form: a client's cookie is untrusted input, and TryDecodeFromChars throws on a character outside the alphabet.
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var length) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        var text = Encoding.ASCII.GetString(bytes[..length]);
        var bar = text.LastIndexOf('|');
        var colon = bar < 0 ? -1 : text.LastIndexOf(':', bar);
        if (colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1, bar - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            || !long.TryParse(text.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > 253_402_300_799)
        {
            return false;
        }

        address = text[..colon];
        issued = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }
}
