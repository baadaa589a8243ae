using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Weft.Cli.Local;

/// <summary>
/// Process isolation: the pod's processes run in the host's network with the pod IP on loopback; an app with a sidecar
/// reaches it through <c>HTTP_PROXY</c>/<c>ALL_PROXY</c> (absolute-form requests and CONNECT tunnels to the outbound
/// listener). Nothing stops another local process from reaching the app's port directly (docs/architecture.md).
/// </summary>
internal sealed class ProcessSandbox(IPAddress podIp) : PodSandbox
{
    public override string? NetnsName => null;

    public override IReadOnlyList<string> SidecarArguments => [];

    public override Task PrepareAsync(ContainerCommand? init, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// A sidecar resolves external names from <c>weft-hosts.yaml</c> (its <c>--resolve</c>) only, never through the
    /// machine's DNS: as in network namespaces, where the pods' DNS answers nothing outside the mesh and those names, a
    /// local mesh sends no look-up off the machine.
    /// </summary>
    public override ContainerCommand Wrap(ContainerCommand command, bool sidecar) =>
        sidecar ? command with { Arguments = [.. command.Arguments, Weft.Routing.ProxyFlags.Nameservers, "none"] } : command;

    public override IEnumerable<KeyValuePair<string, string?>> ProxyEnvironment(bool sidecar)
    {
        var proxy = sidecar ? $"http://{podIp}:{SidecarPorts.Default.Outbound.ToString(CultureInfo.InvariantCulture)}" : null;
        return ProxyVariables(proxy).Concat(
        [
            new("NO_PROXY", sidecar ? "" : null),
            new("no_proxy", sidecar ? "" : null),
        ]);
    }

    public override async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
