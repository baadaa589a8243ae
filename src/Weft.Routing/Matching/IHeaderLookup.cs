namespace Weft.Routing.Matching;

/// <summary>
/// Read access to a request's headers for <see cref="RouteTable"/>. Implementations look names up case-insensitively and
/// return a header repeated in the request as one comma-joined value (gamma-spec E4, RFC 9110 section 5.3).
/// </summary>
public interface IHeaderLookup
{
    bool TryGetValue(string name, out string? value);
}
