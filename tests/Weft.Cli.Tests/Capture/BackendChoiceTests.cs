using Weft.Cli.Capture;

namespace Weft.Cli.Tests.Capture;

/// <summary>
/// Which backend writes the rules, as a function of what is installed, what each backend already holds in this
/// namespace, and the system's iptables. Each row: requested mode; installed backends as "mode:rules[:weft]" (empty:
/// none); the system default (empty: unknown); the expected backend, or "error".
/// </summary>
public sealed class BackendChoiceTests
{
    [Theory]
    // An explicit mode wins over everything, and fails when its programs are missing.
    [InlineData("legacy", "nft:40:weft,legacy:0", "nft", "legacy")]
    [InlineData("nft", "nft:0,legacy:9", "legacy", "nft")]
    [InlineData("legacy", "nft:0", "nft", "error")]
    // Auto: the backend holding Weft's chains (a re-run replaces them where they are).
    [InlineData("auto", "nft:0,legacy:14:weft", "nft", "legacy")]
    [InlineData("auto", "nft:30,legacy:14:weft", "nft", "legacy")]
    // Auto: else the only backend holding rules (the namespace's owner already chose).
    [InlineData("auto", "nft:0,legacy:3", "nft", "legacy")]
    [InlineData("auto", "nft:5,legacy:0", "legacy", "nft")]
    // Auto: else the system's iptables, when both or neither hold rules.
    [InlineData("auto", "nft:0,legacy:0", "nft", "nft")]
    [InlineData("auto", "nft:0,legacy:0", "legacy", "legacy")]
    [InlineData("auto", "nft:2,legacy:7", "legacy", "legacy")]
    [InlineData("auto", "nft:14:weft,legacy:14:weft", "legacy", "legacy")]
    // Auto: else whichever is installed, nft first.
    [InlineData("auto", "legacy:0", "nft", "legacy")]
    [InlineData("auto", "nft:0,legacy:0", "", "nft")]
    [InlineData("auto", "legacy:0", "", "legacy")]
    [InlineData("auto", "", "", "error")]
    public void The_backend_is_the_explicit_one_else_the_one_with_Weft_chains_else_the_only_one_with_rules_else_the_system_default(
        string requested, string installed, string systemDefault, string expected)
    {
        var available = installed.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(b => b.Split(':'))
            .Select(f => new BackendState(Mode(f[0]), int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), f.Length > 2))
            .ToList();

        var choice = BackendChoice.Choose(Mode(requested), available, systemDefault.Length == 0 ? null : Mode(systemDefault), out var error);

        Assert.Equal(expected, choice is null ? "error" : CaptureArguments.FormatMode(choice.Mode));
        Assert.Equal(choice is null, error.Length > 0);
    }

    [Fact]
    public void The_reason_says_why_so_that_the_init_containers_log_explains_the_choice()
    {
        BackendState[] fresh = [new(IptablesMode.Nft, 0, false), new(IptablesMode.Legacy, 0, false)];

        Assert.Equal("no rules yet in this network namespace; the system's iptables is nf_tables",
            BackendChoice.Choose(IptablesMode.Auto, fresh, IptablesMode.Nft, out _)!.Reason);
        Assert.Equal("the only backend with rules in this network namespace (3)",
            BackendChoice.Choose(IptablesMode.Auto, [new(IptablesMode.Nft, 0, false), new(IptablesMode.Legacy, 3, false)], IptablesMode.Nft, out _)!.Reason);
        Assert.Equal("--iptables-mode legacy", BackendChoice.Choose(IptablesMode.Legacy, fresh, IptablesMode.Nft, out _)!.Reason);
        Assert.Null(BackendChoice.Choose(IptablesMode.Legacy, [fresh[0]], IptablesMode.Nft, out var error));
        Assert.Equal("--iptables-mode legacy: iptables-legacy-restore not found", error);
    }

    private static IptablesMode Mode(string text) => Enum.Parse<IptablesMode>(text, ignoreCase: true);
}
