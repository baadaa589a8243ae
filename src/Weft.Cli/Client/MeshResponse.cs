using System.Text;

namespace Weft.Cli.Client;

/// <summary>An HTTP response as received through the mesh (redirects are not followed).</summary>
internal sealed record MeshResponse
{
    public required int StatusCode { get; init; }

    public string ReasonPhrase { get; init; } = "";

    public Version Version { get; init; } = new(1, 1);

    /// <summary>Response headers, one entry per value.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public byte[] Body { get; init; } = [];

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>The values of header <paramref name="name"/> (case-insensitive), in order.</summary>
    public IReadOnlyList<string> HeaderValues(string name) =>
        [.. Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    /// <summary>The values of header <paramref name="name"/> joined with ",", or null when absent.</summary>
    public string? Header(string name)
    {
        var values = HeaderValues(name);
        return values.Count == 0 ? null : string.Join(',', values);
    }

    /// <summary>Status line and headers as <c>curl -i</c> prints them.</summary>
    public string Head()
    {
        var text = new StringBuilder();
        text.Append("HTTP/").Append(Version.ToString(2)).Append(' ').Append(StatusCode);
        if (ReasonPhrase.Length > 0)
        {
            text.Append(' ').Append(ReasonPhrase);
        }

        text.Append('\n');
        foreach (var (name, value) in Headers)
        {
            text.Append(name).Append(": ").Append(value).Append('\n');
        }

        return text.ToString();
    }
}
