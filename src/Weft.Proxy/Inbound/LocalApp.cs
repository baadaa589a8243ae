using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Proxy.L4;
using Weft.Proxy.Security;

namespace Weft.Proxy.Inbound;

/// <summary>The pod's app, as the inbound side reaches it for an opaque connection.</summary>
internal static class LocalApp
{
    /// <summary>Bytes both ways between <paramref name="stream"/> and the app's <paramref name="port"/> on the pod IP.</summary>
    public static async Task PumpAsync(Stream stream, IPAddress podIp, int port, ILogger logger, CancellationToken ct, Metrics.TcpSeries? counts = null)
    {
        Stream app;
        try
        {
            app = await MeshConnector.ConnectTcpAsync(podIp.ToString(), port, ct);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException)
        {
            ProxyLog.ForwardFailed(logger, "L4Connect", podIp.ToString(), port, "", "the app", e.Message);
            return;
        }

        await using (app)
        {
            await BytePump.RunAsync(stream, app, ct, counts);
        }
    }
}
