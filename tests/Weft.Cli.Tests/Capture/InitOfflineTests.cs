using Weft.Cli.Capture;
using Weft.Cli.Commands;

namespace Weft.Cli.Tests.Capture;

/// <summary>
/// weft init where no iptables program can run: no iptables on the search path, or no CAP_NET_ADMIN. Run in-process
/// with a made-up environment; nothing is started, so nothing can change.
/// </summary>
public sealed class InitOfflineTests
{
    private static readonly ProcessCapabilities NoCapabilities = new(0);

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(CaptureEnvironment environment, bool dryRun, bool remove = false)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await InitCommand.RunAsync(CaptureOptions.Default, dryRun, remove, environment, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Dry_run_without_iptables_prints_the_rules_for_a_fresh_namespace_and_says_so()
    {
        var (exit, stdout, stderr) = await RunAsync(new CaptureEnvironment(SearchPath: "", Capabilities: null), dryRun: true);

        Assert.Equal(0, exit);
        Assert.Equal(
            "weft init: cannot read the current rules (iptables not found: install Debian's iptables package (apt-get install iptables)); showing the rules for a fresh network namespace\n",
            stderr);
        Assert.Equal(
            "# weft init --dry-run: an iptables-restore --noflush would read this in a fresh network namespace; nothing was changed\n"
            + CaptureRules.RestoreInput(CaptureOptions.Default, SavedRuleset.Empty),
            stdout);
    }

    [Fact]
    public async Task Dry_run_without_CAP_NET_ADMIN_prints_the_rules_for_a_fresh_namespace_and_names_the_backend()
    {
        // The real search path: iptables --version needs no privilege, so the backend is still named.
        var (exit, stdout, stderr) = await RunAsync(new CaptureEnvironment(Environment.GetEnvironmentVariable("PATH"), NoCapabilities), dryRun: true);

        Assert.Equal(0, exit);
        Assert.Contains("cannot read the current rules (no CAP_NET_ADMIN to read them); showing the rules for a fresh network namespace", stderr, StringComparison.Ordinal);
        Assert.Contains("weft init: using iptables-", stderr, StringComparison.Ordinal);
        Assert.StartsWith("# weft init --dry-run: iptables-", stdout, StringComparison.Ordinal);
        Assert.EndsWith(CaptureRules.RestoreInput(CaptureOptions.Default, SavedRuleset.Empty), stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_iptables_on_the_search_path_init_and_remove_stop_with_exit_2_and_the_package_to_install(bool remove)
    {
        var (exit, stdout, stderr) = await RunAsync(new CaptureEnvironment("/nonexistent", Capabilities: null), dryRun: false, remove);

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal("weft init: iptables not found: install Debian's iptables package (apt-get install iptables)\n", stderr);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Without_CAP_NET_ADMIN_init_stops_with_exit_2_before_running_any_iptables_program()
    {
        // A search path whose iptables programs would fail the test if run: they are empty files marked executable.
        var directory = Directory.CreateTempSubdirectory("weft-init-test-");
        try
        {
            foreach (var name in new[] { "iptables-nft-restore", "iptables-nft-save", "iptables" })
            {
                var path = Path.Combine(directory.FullName, name);
                await File.WriteAllTextAsync(path, "#!/bin/sh\necho ran >> \"$0.ran\"\nexit 1\n");
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var (exit, stdout, stderr) = await RunAsync(new CaptureEnvironment(directory.FullName, NoCapabilities), dryRun: false);

            Assert.Equal(2, exit);
            Assert.Equal("", stdout);
            Assert.Equal(
                "weft init: this process has no CAP_NET_ADMIN: changing iptables rules needs CAP_NET_ADMIN in this network namespace (run as root, or give the init container the NET_ADMIN and NET_RAW capabilities)\n",
                stderr);
            Assert.Empty(directory.GetFiles("*.ran"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(4, "iptables-nft-restore v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n", true)]
    [InlineData(1, "iptables-save v1.8.9 (legacy): Cannot initialize: Permission denied (you must be root)\n", true)]
    [InlineData(2, "iptables-nft-restore v1.8.9 (nf_tables): Chain 'WEFT_NOPE' does not exist\nError occurred at line: 22\n", false)]
    [InlineData(0, "", false)]
    public void A_restore_refused_for_lack_of_privilege_is_recognised_by_its_message(int exit, string stderr, bool denied)
    {
        Assert.Equal(denied, new IptablesResult(exit, "", stderr).PermissionDenied);
    }
}
