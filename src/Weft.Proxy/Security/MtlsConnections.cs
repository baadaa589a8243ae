using System.Collections.Concurrent;
using System.Text.Json;

namespace Weft.Proxy.Security;

/// <summary>The live mTLS connections of this sidecar, in and out (lock-free; for the admin endpoint and logs).</summary>
internal sealed class MtlsConnections
{
    private readonly ConcurrentDictionary<long, MtlsConnection> _open = new();
    private long _next;
    private long _inboundTotal;
    private long _outboundTotal;
    private long _refused;

    public long NextId() => Interlocked.Increment(ref _next);

    public void Opened(MtlsConnection connection)
    {
        _open[connection.Id] = connection;
        Interlocked.Increment(ref connection.Direction == "inbound" ? ref _inboundTotal : ref _outboundTotal);
    }

    public void Closed(long id) => _open.TryRemove(id, out _);

    public void Refused() => Interlocked.Increment(ref _refused);

    public IReadOnlyList<MtlsConnection> Snapshot() => [.. _open.Values.OrderBy(c => c.Id)];

    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteNumber("inboundTotal", Volatile.Read(ref _inboundTotal));
        writer.WriteNumber("outboundTotal", Volatile.Read(ref _outboundTotal));
        writer.WriteNumber("refused", Volatile.Read(ref _refused));
        writer.WriteStartArray("connections");
        foreach (var c in Snapshot())
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", c.Id);
            writer.WriteString("direction", c.Direction);
            writer.WriteString("local", c.Local?.ToString());
            writer.WriteString("remote", c.Remote?.ToString());
            writer.WriteString("localIdentity", c.LocalIdentity);
            writer.WriteString("peerIdentity", c.PeerIdentity);
            writer.WriteString("tlsVersion", c.Protocol switch
            {
                System.Security.Authentication.SslProtocols.Tls13 => "TLSv1.3",
                System.Security.Authentication.SslProtocols.Tls12 => "TLSv1.2",
                _ => c.Protocol.ToString(),
            });
            writer.WriteString("cipher", c.CipherSuite.ToString());
            writer.WriteString("alpn", c.Alpn);
            writer.WriteString("opened", c.Opened);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
