namespace Weft.Proxy.Http2;

/// <summary>A malformed header block: the connection's HPACK state is lost, an HTTP/2 COMPRESSION_ERROR.</summary>
internal sealed class HpackException(string message) : Exception(message);
