namespace Weft.Discovery.Identity;

/// <summary>
/// SPIFFE IDs (DESIGN decision 4): <c>spiffe://&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;serviceaccount&gt;</c> for a
/// workload. The syntax checks are the SPIFFE-ID specification's (section 2): lower-case trust domain of
/// <c>[a-z0-9.-_]</c>, path segments of <c>[A-Za-z0-9.-_]</c>, none empty, <c>.</c> or <c>..</c>, no query or fragment.
/// </summary>
public static class SpiffeId
{
    public const string Scheme = "spiffe://";

    /// <summary>The SPIFFE-ID specification's limit on the whole URI.</summary>
    public const int MaxLength = 2048;

    /// <summary>The workload's ID; throws when a part would not make a valid one (a '/' in a name, upper case in the trust domain...).</summary>
    public static string ForWorkload(string trustDomain, string @namespace, string serviceAccount)
    {
        var id = $"{Scheme}{trustDomain}/ns/{@namespace}/sa/{serviceAccount}";
        if (!IsValidTrustDomain(trustDomain) || !IsValidSegment(@namespace) || !IsValidSegment(serviceAccount) || !IsValid(id))
        {
            throw new ArgumentException($"'{id}' is not a valid SPIFFE ID (trust domain '{trustDomain}', namespace '{@namespace}', service account '{serviceAccount}').");
        }

        return id;
    }

    /// <summary>Whether <paramref name="id"/> is a syntactically valid SPIFFE ID (any path).</summary>
    public static bool IsValid(string? id) => TryGetTrustDomain(id, out _);

    /// <summary>The trust domain of a valid SPIFFE ID.</summary>
    public static bool TryGetTrustDomain(string? id, out string trustDomain)
    {
        trustDomain = "";
        if (id is null || id.Length > MaxLength || !id.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = id.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var domain = slash < 0 ? rest : rest[..slash];
        if (!IsValidTrustDomain(domain))
        {
            return false;
        }

        if (slash >= 0)
        {
            foreach (var range in rest[(slash + 1)..].Split('/'))
            {
                if (!IsValidSegment(rest[(slash + 1)..][range]))
                {
                    return false;
                }
            }
        }

        trustDomain = domain.ToString();
        return true;
    }

    private static bool IsValidTrustDomain(ReadOnlySpan<char> domain)
    {
        if (domain.IsEmpty || domain.Length > 255)
        {
            return false;
        }

        foreach (var c in domain)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidSegment(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty || segment is "." or "..")
        {
            return false;
        }

        foreach (var c in segment)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
