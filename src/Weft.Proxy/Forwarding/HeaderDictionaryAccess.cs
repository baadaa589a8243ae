using Microsoft.AspNetCore.Http;
using Weft.Routing.Filters;
using Weft.Routing.Matching;

namespace Weft.Proxy.Forwarding;

/// <summary>
/// Lets Routing read (<see cref="IHeaderLookup"/>, for matching) and edit (<see cref="IHeaderEditor"/>, for the header
/// filters, gamma-spec G4) an ASP.NET Core header collection in place. Several values of one header read as one
/// comma-joined value (<see cref="HeaderList"/>).
/// </summary>
internal readonly struct HeaderDictionaryAccess(IHeaderDictionary headers) : IHeaderLookup, IHeaderEditor
{
    public bool TryGetValue(string name, out string? value)
    {
        value = headers.TryGetValue(name, out var values) ? HeaderList.Join(values) : null;
        return value is not null;
    }

    public string? Get(string name) => TryGetValue(name, out var value) ? value : null;

    public void Set(string name, string value) => headers[name] = value;

    /// <summary>One comma-joined field (G4's example: <c>some-other-value,add-appends-values</c>), so no hop re-joins it differently.</summary>
    public void Append(string name, string value) =>
        headers[name] = HeaderList.AppendValue(headers.TryGetValue(name, out var existing) ? HeaderList.Join(existing) : null, value);

    public void Remove(string name) => headers.Remove(name);
}
