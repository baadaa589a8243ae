using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Proxy.Discovery;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Outbound;

/// <summary>
/// Issue 17's outbound policy at the client's sidecar: traffic for a destination outside the mesh is refused under
/// registry-only (403 naming the policy and where it is set, PERMISSION_DENIED to gRPC, a closed connection for opaque
/// bytes, each counted) and goes where the app sent it under allow-any, never to the sidecar itself.
/// </summary>
public sealed class OutboundPolicyTests
{
    private static readonly OutsidePolicy RegistryOnly = new() { Mode = OutboundPolicies.RegistryOnly, Source = "namespace shop annotation weft.dev/outbound-policy" };

    [Fact]
    public async Task Registry_only_refuses_an_address_and_a_name_outside_the_mesh_with_403_naming_the_policy()
    {
        using var outside = Listen();
        var port = ((IPEndPoint)outside.LocalEndpoint).Port;
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([], RegistryOnly), resolve: Resolve("outside.example.test"));

        var (byAddress, _) = await mesh.GetAsync($"http://127.0.0.1:{port}/");
        var (byName, _) = await mesh.GetAsync($"http://outside.example.test:{port}/");

        Assert.Equal(HttpStatusCode.Forbidden, byAddress.StatusCode);
        Assert.Equal(
            $"weft: registry-only: 127.0.0.1:{port} is not a Service of the mesh (outbound policy from namespace shop annotation weft.dev/outbound-policy)\n",
            await byAddress.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, byName.StatusCode);
        Assert.Contains($"outside.example.test:{port} is not a Service of the mesh", await byName.Content.ReadAsStringAsync());
        Assert.False(outside.Pending(), "nothing may reach the server outside the mesh");
        Assert.Equal(2, await RefusedAsync(mesh, "registry_only"));
    }

    [Fact]
    public async Task Registry_only_answers_a_grpc_call_PERMISSION_DENIED()
    {
        using var outside = Listen();
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([], RegistryOnly));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{((IPEndPoint)outside.LocalEndpoint).Port}/pkg.Svc/Call")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc");

        var (response, _) = await TestMesh.SendAsync(mesh.Client, request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("grpc-status").Single());
        Assert.Contains("registry-only", Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()));
        Assert.False(outside.Pending());
    }

    [Fact]
    public async Task Registry_only_closes_an_opaque_connection_before_dialling()
    {
        using var outside = Listen();
        var port = ((IPEndPoint)outside.LocalEndpoint).Port;
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([], RegistryOnly));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(mesh.Proxy.OutboundEndpoint);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200", await TestMesh.ReadHeadAsync(stream, CancellationToken.None));

        await stream.WriteAsync("\x16 not http, opaque bytes\n"u8.ToArray()); // not HTTP: served as opaque TCP after detection
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var read = await stream.ReadAsync(new byte[64], timeout.Token);

        Assert.Equal(0, read);
        Assert.False(outside.Pending());
        Assert.Equal(1, await RefusedAsync(mesh, "registry_only"));
    }

    [Fact]
    public async Task Allow_any_forwards_a_name_to_the_address_the_sidecar_resolves_with_the_Host_kept()
    {
        await using var app = await TestBackend.StartAsync("outside");
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([]), resolve: Resolve("outside.example.test"));

        var (response, seen) = await mesh.GetAsync($"http://outside.example.test:{app.Port}/direct");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/direct", seen?.Path);
        Assert.Equal($"outside.example.test:{app.Port}", seen?.Headers["host"]);
        Assert.False(seen?.Headers.ContainsKey("weft-dst-port"));
    }

    [Fact]
    public async Task Allow_any_answers_502_naming_an_address_that_refuses_the_connection()
    {
        var closed = Ports.Closed();
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([]), resolve: Resolve("outside.example.test"));

        var (response, _) = await mesh.GetAsync($"http://outside.example.test:{closed}/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.StartsWith($"weft: outside.example.test:{closed} (outside the mesh, at 127.0.0.1): cannot connect", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Allow_any_answers_503_for_a_name_that_does_not_resolve()
    {
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([]));

        var (response, _) = await mesh.GetAsync("http://nowhere.example.test/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("cannot resolve nowhere.example.test", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Allow_any_never_sends_to_the_sidecar_s_own_listeners()
    {
        await using var mesh = await TestMesh.StartAsync(new StaticDestinationSource([]));
        var inbound = mesh.Proxy.InboundEndpoint.Port;
        var outbound = mesh.Proxy.OutboundEndpoint.Port;

        // Every spelling of this host: its own address, the IPv4-mapped form a dual-mode socket connects alike, and
        // 0.0.0.0, which Linux connects to loopback.
        string[] spellings = [$"127.0.0.1:{inbound}", $"[::ffff:127.0.0.1]:{inbound}", $"0.0.0.0:{inbound}", $"127.0.0.1:{outbound}", $"0.0.0.0:9"];
        foreach (var target in spellings)
        {
            var (response, _) = await mesh.GetAsync($"http://{target}/");

            Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{target}: {response.StatusCode}");
            Assert.Contains("is this sidecar or the control plane", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(spellings.Length, await RefusedAsync(mesh, "off_limits"));
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static Dictionary<string, IReadOnlyList<IPAddress>> Resolve(string name) => new() { [name] = [IPAddress.Loopback] };

    private static async Task<long> RefusedAsync(TestMesh mesh, string reason)
    {
        using var admin = new HttpClient();
        var text = await admin.GetStringAsync($"http://{mesh.Proxy.AdminEndpoint}/metrics");
        var series = $"weft_outbound_refused_total{{reason=\"{reason}\"}} ";
        var line = text.Split('\n').Single(l => l.StartsWith(series, StringComparison.Ordinal));
        return long.Parse(line[series.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
