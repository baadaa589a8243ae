using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Capture;

/// <summary>
/// The rules do what they claim: in a pod namespace this test creates (lo, and a veth d0 10.77.0.2/24 whose other end is
/// 10.77.0.9 in a second namespace of the test's, standing in for another pod), after <c>weft init
/// --exclude-outbound-ports 8080</c>, a listener on 127.0.0.1:15001 plays the sidecar and one on 10.77.0.9:80 and :8080
/// the remote. Connections come from python3 clients started in the pod namespace, as root or under setpriv.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InitCaptureTests : IAsyncLifetime
{
    private const string Client = """
        import socket, sys
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
        """;

    private TestNetworkNamespace _pod = null!;
    private TestNetworkNamespace _remote = null!;
    private OriginalDestinationListener _sidecar = null!;
    private OriginalDestinationListener _server = null!;

    public async Task InitializeAsync()
    {
        _pod = await TestNetworkNamespace.CreateAsync();
        _remote = await TestNetworkNamespace.CreateAsync();
        await _pod.IpAsync("link", "set", "lo", "up");
        await _remote.IpAsync("link", "set", "lo", "up");
        await _pod.IpAsync("link", "add", "d0", "type", "veth", "peer", "name", "d1", "netns", _remote.Name);
        await _pod.IpAsync("addr", "add", "10.77.0.2/24", "dev", "d0");
        await _pod.IpAsync("link", "set", "d0", "up");
        await _remote.IpAsync("addr", "add", "10.77.0.9/24", "dev", "d1");
        await _remote.IpAsync("link", "set", "d1", "up");
        var init = await _pod.InitAsync("--exclude-outbound-ports", "8080");
        Assert.True(init.ExitCode == 0, init.Stderr);
        _sidecar = await OriginalDestinationListener.StartAsync(_pod, "127.0.0.1:15001");
        _server = await OriginalDestinationListener.StartAsync(_remote, "10.77.0.9:80", "10.77.0.9:8080");
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in new IAsyncDisposable?[] { _sidecar, _server, _pod, _remote })
        {
            if (disposable is not null)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    private async Task ConnectAsync(string host, int port, params string[] asIds)
    {
        string[] setpriv = asIds.Length == 0 ? [] : [CommandRun.Which("setpriv"), .. asIds, "--"];
        var run = await _pod.ExecAsync([.. setpriv, OriginalDestinationListener.Python, "-c", Client, host, port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(run.ExitCode == 0, $"connect to {host}:{port}: {run.Stderr}");
    }

    [NetnsFact]
    public async Task The_apps_TCP_to_a_remote_address_arrives_at_15001_with_its_original_destination()
    {
        await ConnectAsync("10.77.0.9", 80);

        Assert.Equal("accepted 127.0.0.1:15001 original 10.77.0.9:80", await _sidecar.WaitForAcceptAsync("127.0.0.1:15001"));
        Assert.DoesNotContain(_server.Lines, l => l.StartsWith("accepted", StringComparison.Ordinal));
    }

    [NetnsTheory]
    [InlineData("--regid=1337", "--clear-groups")]
    [InlineData("--reuid=1337")]
    public async Task TCP_from_the_sidecars_gid_or_uid_is_not_redirected_and_reaches_the_remote(params string[] asIds)
    {
        await ConnectAsync("10.77.0.9", 80, asIds);

        Assert.StartsWith("accepted 10.77.0.9:80 ", await _server.WaitForAcceptAsync("10.77.0.9:80"), StringComparison.Ordinal);
        Assert.DoesNotContain(_sidecar.Lines, l => l.StartsWith("accepted", StringComparison.Ordinal));
    }

    [NetnsFact]
    public async Task TCP_to_an_excluded_outbound_port_is_not_redirected_and_reaches_the_remote()
    {
        await ConnectAsync("10.77.0.9", 8080);

        Assert.StartsWith("accepted 10.77.0.9:8080 ", await _server.WaitForAcceptAsync("10.77.0.9:8080"), StringComparison.Ordinal);
        Assert.DoesNotContain(_sidecar.Lines, l => l.StartsWith("accepted", StringComparison.Ordinal));
    }
}
