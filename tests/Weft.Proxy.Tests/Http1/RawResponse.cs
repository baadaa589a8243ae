using System.Text;

namespace Weft.Proxy.Tests.Http1;

/// <summary>A response as it crossed the wire: status, head (through the blank line), body, and the body's bytes as framed (chunks included).</summary>
public sealed record RawResponse(int Status, string Head, byte[] Body, byte[] RawBody)
{
    public string StatusLine => Head[..Head.IndexOf("\r\n", StringComparison.Ordinal)];

    /// <summary>The header lines in order, without CRLF.</summary>
    public IReadOnlyList<string> HeaderLines => Head.Split("\r\n").Skip(1).Where(l => l.Length > 0).ToArray();

    public string BodyText => Encoding.Latin1.GetString(Body);

    public string? Header(string name) => HeaderLines
        .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
        .Select(l => l[(name.Length + 1)..].Trim())
        .FirstOrDefault();

    public bool Has(string name) => Header(name) is not null;
}
