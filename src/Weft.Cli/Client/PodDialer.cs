using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Client;

/// <summary>
/// How a client acting as a pod's app (<c>weft curl</c>, the conformance runner) opens a connection to <c>host:port</c>,
/// so that its traffic takes the path the app's would: <see cref="SidecarProxyDialer"/> in process isolation (a CONNECT
/// tunnel through the sidecar, which resolves names through discovery), <see cref="PodNetworkDialer"/> in network
/// namespaces (a plain connection from inside the pod, names resolved as the pod's resolver does, captured on its way
/// out like the app's).
/// </summary>
internal abstract class PodDialer
{
    /// <summary>A stream to <paramref name="host"/>:<paramref name="port"/> as the app would open it; throws <see cref="HttpRequestException"/>.</summary>
    public abstract ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken ct);
}

/// <summary>Through the sidecar's outbound listener with <c>CONNECT host:port</c> (process isolation's proxy settings).</summary>
internal sealed class SidecarProxyDialer(IPEndPoint sidecar) : PodDialer
{
    /// <summary>The sidecar's outbound listener, <c>podIP:15001</c>.</summary>
    public IPEndPoint Sidecar { get; } = sidecar;

    public override ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken ct) => SidecarTunnel.ConnectAsync(Sidecar, host, port, ct);
}

/// <summary>
/// From inside the pod's network namespace, to the address <paramref name="resolve"/> gives for the host (an IP literal is
/// itself): no proxy setting, so the pod's capture rules hand the connection to its sidecar, as they do the app's.
/// </summary>
internal sealed class PodNetworkDialer(
    Func<IPEndPoint, CancellationToken, Task<Socket>> connect, Func<string, CancellationToken, Task<IReadOnlyList<IPAddress>>> resolve) : PodDialer
{
    public override async ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var address = IPAddress.TryParse(host, out var literal) ? literal : await resolve(host, ct) is [var first, ..] ? first
            : throw new HttpRequestException($"cannot resolve '{host}' from the pod (not a Service name of the cluster)");
        try
        {
            return new NetworkStream(await connect(new IPEndPoint(address, port), ct), ownsSocket: true);
        }
        catch (SocketException e)
        {
            throw new HttpRequestException($"cannot connect to {address}:{port} from the pod: {e.Message}", e);
        }
    }
}
