namespace Weft.Proxy.Http2;

/// <summary>Receives the fields of a decoded header block, in order. The spans are valid only during the call.</summary>
internal interface IHpackSink
{
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}
