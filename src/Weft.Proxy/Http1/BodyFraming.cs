namespace Weft.Proxy.Http1;

/// <summary>How a response body ends (RFC 9112 6.3).</summary>
internal enum BodyFraming
{
    None,
    Length,
    Chunked,
    UntilClose,
}
