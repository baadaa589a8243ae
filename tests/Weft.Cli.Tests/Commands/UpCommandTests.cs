using Weft.Cli.Commands;
using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Commands;

/// <summary>
/// <c>weft up</c>'s refusals, through the real command line (a child weft process): each a clear line on stderr and exit
/// code 2, with nothing started and nothing changed on the host.
/// </summary>
public sealed class UpCommandTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-up-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [NetnsFact]
    public async Task Network_namespaces_asked_for_without_iptables_are_refused_naming_the_package()
    {
        // A PATH with ip and setpriv, but no iptables.
        var bin = Directory.CreateDirectory(Path.Combine(_work, "bin")).FullName;
        foreach (var tool in new[] { "ip", "setpriv" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool), CommandRun.Which(tool));
        }

        var run = await WeftAsync(["up", _work, "--isolation", "netns"], new Dictionary<string, string> { ["PATH"] = bin });

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("weft up: --isolation netns: network namespaces are not possible here: iptables not found (apt-get install iptables)", run.Stderr.Trim());
        Assert.False(File.Exists(StateFile.PathFor(_work)));
    }

    [Theory]
    [InlineData("198.18.0.1/15", "weft up: --netns-range 198.18.0.1/15: '198.18.0.1/15' has host bits set (the network is 198.18.0.0/15)")]
    [InlineData("10.0.0.0/25", "weft up: --netns-range 10.0.0.0/25: too small; a mesh needs a /23 (one /24 for pods, one for Services)")]
    [InlineData("8.8.8.0/23", "weft up: --netns-range 8.8.8.0/23: not inside a private or test range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 198.18.0.0/15): the mesh's Services are local addresses of the whole host, which would shadow real ones")]
    public async Task A_netns_range_that_cannot_hold_pods_is_refused(string range, string error)
    {
        var run = await WeftAsync(["up", _work, "--isolation", "process", "--netns-range", range]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(error, run.Stderr.Trim());
    }

    [Theory]
    [InlineData("exec", "shop/client", "--", "true")]
    [InlineData("curl", "--from", "shop/client", "http://cart/")]
    [InlineData("status")]
    public async Task A_verb_of_the_local_mesh_without_one_running_says_so_and_exits_2(string verb, params string[] arguments)
    {
        var run = await WeftAsync([verb, "--dir", _work, .. arguments]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"weft {verb}: no running local mesh", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loopback_trace_collector_is_warned_of_in_network_namespaces_where_pods_cannot_reach_it()
    {
        var gateway = System.Net.IPAddress.Parse("198.19.50.1");
        Assert.Equal(
            "warning: --trace-collector http://127.0.0.1:4318/: pods in network namespaces have a loopback of their own, so their sidecars cannot reach a collector on this machine's 127.0.0.1; have it listen on 198.19.50.1 (or 0.0.0.0) and pass --trace-collector http://198.19.50.1:4318",
            UpCommand.LoopbackCollectorWarning(Isolation.Netns, new Uri("http://127.0.0.1:4318"), gateway));
        Assert.NotNull(UpCommand.LoopbackCollectorWarning(Isolation.Netns, new Uri("http://localhost:4318"), gateway));
        Assert.NotNull(UpCommand.LoopbackCollectorWarning(Isolation.Netns, new Uri("http://127.0.0.2:4318"), gateway));
        Assert.Null(UpCommand.LoopbackCollectorWarning(Isolation.Process, new Uri("http://127.0.0.1:4318"), null)); // pods share the host's loopback
        Assert.Null(UpCommand.LoopbackCollectorWarning(Isolation.Netns, new Uri("http://198.19.50.1:4318"), gateway));
        Assert.Null(UpCommand.LoopbackCollectorWarning(Isolation.Netns, null, gateway));
    }

    private static Task<CommandRun> WeftAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var weft = WeftLauncher.Current().Command(arguments);
        return CommandRun.RunAsync(CommandRun.Which(weft.FileName), weft.Arguments, environment);
    }
}
