using System.Security.Cryptography;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Infrastructure;

/// <summary>
/// A network namespace of one test (<c>weft-t-&lt;hex&gt;</c>), deleted on dispose whatever happened. Everything the
/// integration tests change, rules and addresses, is inside such namespaces.
/// </summary>
internal sealed class TestNetworkNamespace : IAsyncDisposable
{
    private TestNetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static async Task<TestNetworkNamespace> CreateAsync()
    {
        var name = $"weft-t-{RandomNumberGenerator.GetHexString(10, lowercase: true)}";
        await CommandRun.RunCheckedAsync("ip", "netns", "add", name);
        return new TestNetworkNamespace(name);
    }

    /// <summary>Runs a program inside the namespace (<c>ip netns exec</c>).</summary>
    public Task<CommandRun> ExecAsync(IEnumerable<string> command, IReadOnlyDictionary<string, string>? environment = null) =>
        CommandRun.RunAsync("ip", ["netns", "exec", Name, .. command], environment);

    /// <summary>Runs <c>ip</c> against the namespace (<c>ip -n</c>), failing the test if it fails.</summary>
    public Task<CommandRun> IpAsync(params string[] arguments) => CommandRun.RunCheckedAsync("ip", ["-n", Name, .. arguments]);

    /// <summary>
    /// <c>weft init ARGS</c> as a child process in the namespace, as <c>weft up</c> and an init container run it; the
    /// command may be prefixed (e.g. by <c>setpriv</c>), and the environment changed (e.g. a PATH without iptables).
    /// </summary>
    public Task<CommandRun> InitAsync(IEnumerable<string> arguments, IEnumerable<string>? prefix = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var weft = WeftLauncher.Current().Command(["init", .. arguments]);
        return ExecAsync([.. (prefix ?? []), CommandRun.Which(weft.FileName), .. weft.Arguments], environment);
    }

    public Task<CommandRun> InitAsync(params string[] arguments) => InitAsync(arguments, null, null);

    /// <summary>Runs <c>iptables-MODE ARGS</c> in the namespace (a user's own rule), failing the test if it fails.</summary>
    public async Task IptablesAsync(string mode, params string[] arguments)
    {
        var run = await ExecAsync([$"iptables-{mode}", "-w", .. arguments]);
        Assert.True(run.ExitCode == 0, $"iptables-{mode} {string.Join(' ', arguments)}: {run.Stderr}");
    }

    /// <summary>
    /// The nat table as <c>iptables-MODE-save -t nat</c> prints it, without its comment lines (they hold the time) and
    /// counters, so two readings of the same rules are equal.
    /// </summary>
    public async Task<string> NatTableAsync(string mode)
    {
        var run = await ExecAsync([$"iptables-{mode}-save", "-t", "nat"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        return string.Join('\n', run.Stdout.Split('\n')
            .Where(l => !l.StartsWith('#'))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\[\d+:\d+\]", "[0:0]")));
    }

    public async ValueTask DisposeAsync() => await CommandRun.RunAsync("ip", ["netns", "delete", Name]);
}
