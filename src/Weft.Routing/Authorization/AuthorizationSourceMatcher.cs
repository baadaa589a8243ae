using Weft.Routing.Matching;

namespace Weft.Routing.Authorization;

/// <summary>One compiled source: a SPIFFE ID compared exactly, or every service account of a namespace (name "*").</summary>
internal sealed class AuthorizationSourceMatcher
{
    private readonly string _value;
    private readonly bool _anyInNamespace;

    private AuthorizationSourceMatcher(string value, bool anyInNamespace)
    {
        _value = value;
        _anyInNamespace = anyInNamespace;
    }

    public bool IsMatch(string identity) =>
        _anyInNamespace ? AuthorizationIdentity.IsOneSegmentAfter(identity, _value) : string.Equals(identity, _value, StringComparison.Ordinal);

    public static AuthorizationSourceMatcher Compile(AuthorizationSourcePolicy source, string trustDomain, string what)
    {
        if (!string.IsNullOrEmpty(source.Spiffe))
        {
            if (source.Namespace is not null || source.ServiceAccount is not null)
            {
                throw new RouteTableException($"{what} names a SPIFFE ID and a service account; a source is one or the other");
            }

            return new AuthorizationSourceMatcher(source.Spiffe, anyInNamespace: false);
        }

        if (string.IsNullOrEmpty(source.Namespace) || string.IsNullOrEmpty(source.ServiceAccount))
        {
            throw new RouteTableException($"{what} needs a SPIFFE ID, or a service account namespace and name");
        }

        return source.ServiceAccount == "*"
            ? new AuthorizationSourceMatcher(AuthorizationIdentity.NamespacePrefix(trustDomain, source.Namespace), anyInNamespace: true)
            : new AuthorizationSourceMatcher(AuthorizationIdentity.ServiceAccount(trustDomain, source.Namespace, source.ServiceAccount), anyInNamespace: false);
    }
}
