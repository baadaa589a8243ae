namespace Weft.Routing.Filters;

/// <summary>
/// Write access to a request's or response's headers, so <see cref="HeaderModification"/> can run against Kestrel,
/// <c>HttpRequestMessage</c> or gRPC metadata alike. Names are case-insensitive.
/// </summary>
public interface IHeaderEditor
{
    /// <summary>The header's value, repeated values comma-joined; null when absent.</summary>
    string? Get(string name);

    /// <summary>Replaces every value of the header with <paramref name="value"/>.</summary>
    void Set(string name, string value);

    /// <summary>Adds <paramref name="value"/> after the header's existing values (as a further field line or comma-joined; RFC 9110 section 5.3 makes them equal).</summary>
    void Append(string name, string value);

    void Remove(string name);
}
