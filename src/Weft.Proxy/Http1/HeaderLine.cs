namespace Weft.Proxy.Http1;

/// <summary>One header line of a parsed head: offsets into the head's bytes.</summary>
internal struct HeaderLine
{
    /// <summary>Start of the line (the name).</summary>
    public int Start;

    /// <summary>Length of the line without its CRLF.</summary>
    public int Length;

    /// <summary>Not forwarded (hop-by-hop, <see cref="Forwarding.Hop"/>, or the mesh's own <c>weft-dst-port</c>).</summary>
    public bool Drop;
}
