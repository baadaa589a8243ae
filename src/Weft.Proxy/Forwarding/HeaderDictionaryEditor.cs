using Microsoft.AspNetCore.Http;
using Weft.Routing.Filters;

namespace Weft.Proxy.Forwarding;

/// <summary>Lets the Routing header filters (gamma-spec G4) edit an ASP.NET Core header collection in place.</summary>
internal readonly struct HeaderDictionaryEditor(IHeaderDictionary headers) : IHeaderEditor
{
    public string? Get(string name) => headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : null;

    public void Set(string name, string value) => headers[name] = value;

    /// <summary>One comma-joined field (G4's example: <c>some-other-value,add-appends-values</c>), so no hop re-joins it differently.</summary>
    public void Append(string name, string value) =>
        headers[name] = headers.TryGetValue(name, out var existing) && existing.Count > 0 ? existing.ToString() + "," + value : value;

    public void Remove(string name) => headers.Remove(name);
}
