namespace Weft.Routing.Authorization;

/// <summary>
/// SPIFFE IDs as Weft issues them (DESIGN decision 4, <c>spiffe://&lt;trust domain&gt;/ns/&lt;namespace&gt;/sa/&lt;name&gt;</c>),
/// read without allocating: the one home of the shapes the authorization decision compares identities with.
/// </summary>
internal static class AuthorizationIdentity
{
    public static string ServiceAccount(string trustDomain, string ns, string name) => $"{NamespacePrefix(trustDomain, ns)}{name}";

    /// <summary>What every service account identity of <paramref name="ns"/> starts with.</summary>
    public static string NamespacePrefix(string trustDomain, string ns) => $"spiffe://{trustDomain}/ns/{ns}/sa/";

    /// <summary>What every identity of the trust domain starts with.</summary>
    public static string TrustDomainPrefix(string trustDomain) => $"spiffe://{trustDomain}/";

    /// <summary>Whether <paramref name="identity"/> is <paramref name="prefix"/> followed by one non-empty path segment.</summary>
    public static bool IsOneSegmentAfter(string identity, string prefix) =>
        identity.Length > prefix.Length
        && identity.StartsWith(prefix, StringComparison.Ordinal)
        && identity.IndexOf('/', prefix.Length) < 0;

    /// <summary>Whether <paramref name="identity"/> is a SPIFFE ID with a path in the trust domain that <paramref name="prefix"/> names.</summary>
    public static bool IsInTrustDomain(string identity, string prefix) =>
        identity.Length > prefix.Length && identity.StartsWith(prefix, StringComparison.Ordinal);
}
