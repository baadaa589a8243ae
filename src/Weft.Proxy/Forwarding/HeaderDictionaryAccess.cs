using Microsoft.AspNetCore.Http;
using Weft.Routing.Filters;
using Weft.Routing.Matching;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// Lets Routing read (<see cref="IHeaderLookup"/>, for matching) and edit (<see cref="IHeaderEditor"/>, for the header
/// filters, gamma-spec G4) an ASP.NET Core header collection in place. Several values of one header read as one
/// comma-joined value (RFC 9110 section 5.3).
/// </summary>
internal readonly struct HeaderDictionaryAccess(IHeaderDictionary headers) : IHeaderLookup, IHeaderEditor
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

    public string? Get(string name) => TryGetValue(name, out var value) ? value : null;

    public void Set(string name, string value) => headers[name] = value;

    /// <summary>One comma-joined field (G4's example: <c>some-other-value,add-appends-values</c>), so no hop re-joins it differently.</summary>
    public void Append(string name, string value) =>
        headers[name] = headers.TryGetValue(name, out var existing) && existing.Count > 0 ? existing.ToString() + "," + value : value;

    public void Remove(string name) => headers.Remove(name);
}
