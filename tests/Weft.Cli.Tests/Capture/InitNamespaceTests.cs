using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Capture;

/// <summary>
/// weft init run for real, as a child process inside a network namespace this test creates and deletes: the rules each
/// backend ends up holding, re-runs, removal, other people's rules, and the failures that must change nothing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InitNamespaceTests : IAsyncLifetime
{
    private static readonly string[] DefaultNatTable =
    [
        "*nat",
        ":PREROUTING ACCEPT [0:0]",
        ":INPUT ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]",
        ":WEFT_INBOUND - [0:0]",
        ":WEFT_IN_REDIRECT - [0:0]",
        ":WEFT_OUTPUT - [0:0]",
        ":WEFT_OUT_REDIRECT - [0:0]",
        "-A PREROUTING -p tcp -j WEFT_INBOUND",
        "-A OUTPUT -p tcp -j WEFT_OUTPUT",
        "-A WEFT_INBOUND -p tcp -m tcp --dport 15006 -j RETURN",
        "-A WEFT_INBOUND -p tcp -m tcp --dport 15000 -j RETURN",
        "-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT",
        "-A WEFT_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
        "-A WEFT_OUTPUT -m owner --uid-owner 1337 -j RETURN",
        "-A WEFT_OUTPUT -m owner --gid-owner 1337 -j RETURN",
        "-A WEFT_OUTPUT -o lo -j RETURN",
        "-A WEFT_OUTPUT -p tcp -j WEFT_OUT_REDIRECT",
        "-A WEFT_OUT_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
        "COMMIT",
    ];

    private TestNetworkNamespace _network = null!;

    public async Task InitializeAsync() => _network = await TestNetworkNamespace.CreateAsync();

    public async Task DisposeAsync() => await _network.DisposeAsync();

    private async Task InitOkAsync(params string[] arguments)
    {
        var run = await _network.InitAsync(arguments);
        Assert.True(run.ExitCode == 0, $"weft init {string.Join(' ', arguments)}: exit {run.ExitCode}\n{run.Stderr}");
    }

    private static string[] Lines(string table) => table.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [NetnsTheory]
    [InlineData("nft")]
    [InlineData("legacy")]
    public async Task Init_writes_the_four_chains_and_the_two_TCP_jumps_with_the_requested_backend_only(string mode)
    {
        var run = await _network.InitAsync("--iptables-mode", mode);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(DefaultNatTable, Lines(await _network.NatTableAsync(mode)));
        Assert.DoesNotContain("WEFT_", await _network.NatTableAsync(mode == "nft" ? "legacy" : "nft"), StringComparison.Ordinal);
        Assert.Equal($"weft init: using iptables-{mode}-restore: --iptables-mode {mode}\n", run.Stderr);
        Assert.StartsWith($"weft init: capture rules written with iptables-{mode}-restore (nat table)\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("outbound: TCP from the app -> 127.0.0.1:15001, except the sidecar's own (uid 1337, gid 1337), loopback", run.Stdout, StringComparison.Ordinal);
    }

    [NetnsTheory]
    [InlineData("nft")]
    [InlineData("legacy")]
    public async Task Running_init_twice_leaves_exactly_the_table_of_one_run(string mode)
    {
        string[] options = ["--iptables-mode", mode, "--exclude-outbound-cidrs", "10.0.0.0/8", "--exclude-inbound-ports", "22"];
        await InitOkAsync(options);
        var once = await _network.NatTableAsync(mode);

        await InitOkAsync(options);

        Assert.Equal(once, await _network.NatTableAsync(mode));
    }

    [NetnsFact]
    public async Task A_second_run_with_another_excluded_port_replaces_the_rules_instead_of_adding_to_them()
    {
        await InitOkAsync("--exclude-outbound-ports", "5432");
        await InitOkAsync("--exclude-outbound-ports", "6379");

        var table = await _network.NatTableAsync("nft");
        Assert.Contains("-A WEFT_OUTPUT -p tcp -m tcp --dport 6379 -j RETURN", table, StringComparison.Ordinal);
        Assert.DoesNotContain("5432", table, StringComparison.Ordinal);
        Assert.Single(Lines(table), l => l == "-A OUTPUT -p tcp -j WEFT_OUTPUT");
        Assert.Single(Lines(table), l => l == "-A PREROUTING -p tcp -j WEFT_INBOUND");
    }

    [NetnsTheory]
    [InlineData("nft")]
    [InlineData("legacy")]
    public async Task Remove_takes_every_Weft_chain_and_jump_and_leaves_a_users_rules_in_OUTPUT_and_their_own_chain(string mode)
    {
        await _network.IptablesAsync(mode, "-t", "nat", "-N", "USER_CHAIN");
        await _network.IptablesAsync(mode, "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", "192.0.2.1", "-j", "USER_CHAIN");
        var before = await _network.NatTableAsync(mode);

        await InitOkAsync("--iptables-mode", mode);
        var installed = await _network.NatTableAsync(mode);
        Assert.Contains("-A OUTPUT -d 192.0.2.1/32 -p tcp -j USER_CHAIN", installed, StringComparison.Ordinal);
        Assert.Contains("-A OUTPUT -p tcp -j WEFT_OUTPUT", installed, StringComparison.Ordinal);

        var removal = await _network.InitAsync("--remove");

        Assert.Equal(0, removal.ExitCode);
        Assert.Equal(before, await _network.NatTableAsync(mode));
        Assert.Contains($"removed 4 chains (WEFT_INBOUND, WEFT_IN_REDIRECT, WEFT_OUTPUT, WEFT_OUT_REDIRECT) and 2 jumps into them with iptables-{mode}-restore", removal.Stdout, StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task Init_leaves_a_users_jump_into_a_Weft_chain_and_remove_takes_it_so_that_the_chain_can_go()
    {
        await InitOkAsync();
        await _network.IptablesAsync("nft", "-t", "nat", "-N", "USER_CHAIN");
        await _network.IptablesAsync("nft", "-t", "nat", "-A", "USER_CHAIN", "-j", "WEFT_OUTPUT");

        await InitOkAsync();
        Assert.Contains("-A USER_CHAIN -j WEFT_OUTPUT", await _network.NatTableAsync("nft"), StringComparison.Ordinal);

        await InitOkAsync("--remove");
        var table = await _network.NatTableAsync("nft");
        Assert.DoesNotContain("WEFT_", table, StringComparison.Ordinal);
        Assert.Contains(":USER_CHAIN - [0:0]", table, StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task Remove_where_nothing_was_installed_changes_nothing_and_says_so()
    {
        var run = await _network.InitAsync("--remove");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("weft init: nothing of Weft's to remove in this network namespace\n", run.Stdout);
    }

    [NetnsFact]
    public async Task Auto_mode_writes_to_the_backend_that_already_holds_rules_here_even_when_the_system_default_is_the_other()
    {
        // Debian's iptables is nft; a legacy rule makes legacy the backend in use in this namespace.
        await _network.IptablesAsync("legacy", "-t", "filter", "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "ACCEPT");

        var run = await _network.InitAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("weft init: using iptables-legacy-restore: the only backend with rules in this network namespace (1)\n", run.Stderr);
        Assert.Contains("-A OUTPUT -p tcp -j WEFT_OUTPUT", await _network.NatTableAsync("legacy"), StringComparison.Ordinal);
        Assert.DoesNotContain("WEFT_", await _network.NatTableAsync("nft"), StringComparison.Ordinal);

        // A re-run finds Weft's chains there, whatever else holds rules by then.
        await _network.IptablesAsync("nft", "-t", "filter", "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "ACCEPT");
        var again = await _network.InitAsync();
        Assert.Equal("weft init: using iptables-legacy-restore: Weft's chains are already there\n", again.Stderr);
    }

    [NetnsFact]
    public async Task Dry_run_prints_the_delete_lines_for_the_rules_in_place_and_changes_nothing()
    {
        await InitOkAsync("--exclude-outbound-ports", "5432");
        var before = await _network.NatTableAsync("nft");

        var run = await _network.InitAsync("--dry-run", "--exclude-outbound-ports", "6379");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(before, await _network.NatTableAsync("nft"));
        var lines = Lines(run.Stdout);
        Assert.Equal("# weft init --dry-run: iptables-nft-restore --noflush --wait=10 would read this in this network namespace; nothing was changed", lines[0]);
        Assert.Equal(["*nat", "-D PREROUTING -p tcp -j WEFT_INBOUND", "-D OUTPUT -p tcp -j WEFT_OUTPUT"], lines[1..4]);
        Assert.Contains("-A WEFT_OUTPUT -p tcp -m tcp --dport 6379 -j RETURN", lines);
        Assert.Equal("weft init: using iptables-nft-restore: Weft's chains are already there\n", run.Stderr);
    }

    [NetnsTheory]
    [InlineData("nft")]
    [InlineData("legacy")]
    public async Task A_failing_restore_reports_its_stderr_exits_1_and_leaves_the_table_as_it_was(string mode)
    {
        await InitOkAsync("--iptables-mode", mode, "--exclude-outbound-ports", "5432");
        var before = await _network.NatTableAsync(mode);

        // The real restore program behind a wrapper that adds one bad line before COMMIT: everything before it (the -D
        // lines, the emptied chains, the new rules) is in the same input, so all of it must be dropped with it.
        var directory = Directory.CreateTempSubdirectory("weft-init-test-");
        try
        {
            var restore = $"iptables-{mode}-restore";
            var wrapper = Path.Combine(directory.FullName, restore);
            await File.WriteAllTextAsync(wrapper,
                $"#!/bin/sh\nsed 's/^COMMIT$/-A WEFT_OUTPUT -j WEFT_NO_SUCH_CHAIN\\nCOMMIT/' | exec {CommandRun.Which(restore)} \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var path = $"{directory.FullName}:{Environment.GetEnvironmentVariable("PATH")}";

            var run = await _network.InitAsync(["--iptables-mode", mode, "--exclude-outbound-ports", "6379"], environment: new Dictionary<string, string> { ["PATH"] = path });

            Assert.Equal(1, run.ExitCode);
            Assert.Contains("WEFT_NO_SUCH_CHAIN", run.Stderr, StringComparison.Ordinal);
            Assert.Contains($"weft init: {restore} failed (exit 2); nothing was changed: a restore input applies whole or not at all", run.Stderr, StringComparison.Ordinal);
            Assert.Equal(before, await _network.NatTableAsync(mode));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [NetnsFact]
    public async Task Without_CAP_NET_ADMIN_init_exits_2_saying_what_it_needs_and_changes_nothing()
    {
        var nft = await _network.NatTableAsync("nft");
        var legacy = await _network.NatTableAsync("legacy");

        var run = await _network.InitAsync([], prefix: [CommandRun.Which("setpriv"), "--bounding-set=-net_admin,-net_raw", "--"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("weft init: this process has no CAP_NET_ADMIN: changing iptables rules needs CAP_NET_ADMIN in this network namespace (run as root, or give the init container the NET_ADMIN and NET_RAW capabilities)\n", run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Equal(nft, await _network.NatTableAsync("nft"));
        Assert.Equal(legacy, await _network.NatTableAsync("legacy"));
    }

    [NetnsFact]
    public async Task Without_iptables_on_PATH_init_exits_2_naming_the_package_and_dry_run_still_prints_the_rules()
    {
        var noIptables = new Dictionary<string, string> { ["PATH"] = "/nonexistent" };

        var run = await _network.InitAsync([], environment: noIptables);
        var dryRun = await _network.InitAsync(["--dry-run"], environment: noIptables);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("weft init: iptables not found: install Debian's iptables package (apt-get install iptables)\n", run.Stderr);
        Assert.Equal(0, dryRun.ExitCode);
        Assert.Contains("-A OUTPUT -p tcp -j WEFT_OUTPUT", dryRun.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("WEFT_", await _network.NatTableAsync("nft"), StringComparison.Ordinal);
    }
}
