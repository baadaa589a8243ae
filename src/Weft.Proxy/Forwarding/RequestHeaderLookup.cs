using Microsoft.AspNetCore.Http;
using Weft.Routing.Matching;

namespace Weft.Proxy.Forwarding;

/// <summary>Header access for <c>RouteTable.Match</c>; several values of one header are joined with ',' (RFC 9110 5.3).</summary>
internal readonly struct RequestHeaderLookup(IHeaderDictionary headers) : IHeaderLookup
{
    public bool TryGetValue(string name, out string? value)
    {
        if (headers.TryGetValue(name, out var values) && values.Count > 0)
        {
            value = values.Count == 1 ? values[0] : string.Join(',', values.ToArray());
            return true;
        }

        value = null;
        return false;
    }
}
