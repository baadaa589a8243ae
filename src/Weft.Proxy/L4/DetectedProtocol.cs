namespace Weft.Proxy.L4;

/// <summary>What the first bytes of an outbound tunnel look like (issue 4: protocol detection).</summary>
internal enum DetectedProtocol
{
    NeedMore,
    Http1,
    Http2,
    Tls,

    /// <summary>Anything else, or a client that did not speak within the detection bound (a server-first protocol).</summary>
    Opaque,
}
