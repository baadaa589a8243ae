namespace Weft.Proxy.Tests.Http1;

/// <summary>One request a <see cref="ScriptedApp"/> read: its head as sent (through the blank line), its body, and which connection it came on.</summary>
public sealed record ScriptedRequest(string Head, byte[] Body, int Connection, int Number)
{
    public string RequestLine => Head[..Head.IndexOf("\r\n", StringComparison.Ordinal)];

    /// <summary>The header lines in order, without CRLF.</summary>
    public IReadOnlyList<string> HeaderLines => Head.Split("\r\n").Skip(1).Where(l => l.Length > 0).ToArray();

    public string Target => RequestLine.Split(' ')[1];

    public string? Header(string name) => HeaderLines
        .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
        .Select(l => l[(name.Length + 1)..].Trim())
        .FirstOrDefault();

    public bool Has(string name) => Header(name) is not null;
}
