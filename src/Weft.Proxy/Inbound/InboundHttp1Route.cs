using Microsoft.AspNetCore.Connections;
using Weft.Proxy.Admin;
using Weft.Proxy.Http1;
using Weft.Proxy.Metrics;

namespace Weft.Proxy.Inbound;

/// <summary>
/// The inbound listener's fast path: a request naming a valid <c>weft-dst-port</c> goes to that port of the app on the
/// pod IP, the header removed (as <see cref="InboundHandler"/> does); a missing or invalid one is left to the handler's 400.
/// </summary>
internal sealed class InboundHttp1Route(string podIp, InboundHandler handler, ProxyMetrics metrics, ProxyStats stats) : Http1Route
{
    public override bool AbsoluteForm => false;

    public override ValueTask<bool> PrepareAsync(ConnectionContext connection, RelayExchange exchange, CancellationToken ct) =>
        ValueTask.FromResult(exchange.Request.DestinationPort != 0 && handler.AcceptsPort(exchange.Request.DestinationPort));

    public override bool TryDecide(ReadOnlySpan<byte> head, RelayExchange exchange, out RelayTarget target)
    {
        var port = exchange.Request.DestinationPort;
        target = new RelayTarget(new UpstreamKey(podIp, port, null), 0, handler.LabelsFor(port), null, "(local app)");
        return true;
    }

    public override void Record(in RelayTarget target, int status, TimeSpan elapsed)
    {
        metrics.RecordRequest(target.Labels, status, elapsed);
        stats.RecordInbound(status);
    }
}
