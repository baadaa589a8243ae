using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Metrics;
using Weft.Proxy.Outbound;
using Yarp.ReverseProxy.Forwarder;

namespace Weft.Proxy.Inbound;

/// <summary>
/// The inbound data path: a peer sidecar says which app port it meant in <c>weft-dst-port</c>; the header is removed and
/// the request goes to the app on the pod IP with Host, path and headers as they came, in the HTTP version it came in
/// (HTTP/2 stays HTTP/2, an HTTP/1.1 Upgrade stays an upgrade).
/// </summary>
internal sealed class InboundHandler(
    IPAddress podIp, IHttpForwarder forwarder, ForwardingClient client, Func<int, bool> isOwnPort, ILogger logger,
    ProxyMetrics? metrics = null, TimeProvider? time = null)
{
    private readonly string _podHost = podIp.ToString();
    private readonly MeshTransformer _transformer = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    // Per app port, built once: the forwarding prefix and the metric labels (the series already exist per port).
    private readonly ConcurrentDictionary<int, (string Prefix, RequestLabels Labels)> _ports = new();

    /// <summary>Whether a request may name <paramref name="port"/> in <c>weft-dst-port</c>: a port, and not one of the proxy's own.</summary>
    public bool AcceptsPort(int port) => port is >= 1 and <= 65535 && !isOwnPort(port);

    /// <summary>The metric labels of requests to the app's <paramref name="port"/> (the HTTP/1.1 fast path records with them too).</summary>
    public RequestLabels LabelsFor(int port) => PortOf(port).Labels;

    private (string Prefix, RequestLabels Labels) PortOf(int port) =>
        _ports.TryGetValue(port, out var known) ? known : _ports.GetOrAdd(port, static (p, host) =>
            ("http://" + Authority.Format(host, p), new RequestLabels("inbound", "", "", p.ToString(CultureInfo.InvariantCulture), "", "", "", "", "")), _podHost);

    public async Task HandleAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        var headers = context.Request.Headers;
        if (!headers.TryGetValue(Weft.Routing.MeshWire.DestinationPortHeader, out var values) || values.Count != 1
            || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || !AcceptsPort(port))
        {
            ProxyLog.BadDestinationPort(logger, values.ToString(), context.Connection.RemoteIpAddress?.ToString());
            await OutboundHandler.RespondAsync(context, StatusCodes.Status400BadRequest, $"missing or invalid {Weft.Routing.MeshWire.DestinationPortHeader} header");
            return;
        }

        headers.Remove(Weft.Routing.MeshWire.DestinationPortHeader);
        var (prefix, labels) = PortOf(port);
        try
        {
            var error = await forwarder.SendAsync(context, prefix, client.Invoker, client.ConfigFor(context), _transformer);
            if (error != ForwarderError.None)
            {
                ProxyLog.ForwardFailed(logger, error.ToString(), _podHost, port, "", "(local app)", context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message);
            }
        }
        finally
        {
            metrics?.RecordRequest(labels, context.Response.StatusCode, _time.GetElapsedTime(started));
        }
    }
}
