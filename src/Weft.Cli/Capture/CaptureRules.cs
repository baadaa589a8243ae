using System.Globalization;
using System.Text;

namespace Weft.Cli.Capture;

/// <summary>
/// The capture rules as <c>iptables-restore --noflush</c> input, rendered from the options and the namespace's current
/// nat table, and nothing else (pure). One input per run, so the kernel applies it whole or not at all:
/// <list type="number">
/// <item>delete every jump from PREROUTING/OUTPUT into a Weft chain (the previous run's, whatever its options);</item>
/// <item>declare Weft's four chains, which with <c>--noflush</c> creates them or empties them;</item>
/// <item>append their rules, then the two jumps.</item>
/// </list>
/// Rules of others are never named, so they stay as they are. Rendered in <c>iptables-save</c>'s own spelling
/// (<c>-p tcp -m tcp --dport</c>), so the saved table reads back the same lines.
/// </summary>
internal static class CaptureRules
{
    public const string Table = "nat";
    public const string Prefix = "WEFT_";
    public const string Inbound = "WEFT_INBOUND";
    public const string InboundRedirect = "WEFT_IN_REDIRECT";
    public const string Output = "WEFT_OUTPUT";
    public const string OutboundRedirect = "WEFT_OUT_REDIRECT";

    /// <summary>Weft's chains in the order they are declared (and iptables-save lists them).</summary>
    public static IReadOnlyList<string> Chains { get; } = [Inbound, InboundRedirect, Output, OutboundRedirect];

    /// <summary>The jumps into Weft's chains: TCP only, so UDP (DNS among it) is never captured.</summary>
    public static IReadOnlyList<(string From, string To)> Jumps { get; } = [("PREROUTING", Inbound), ("OUTPUT", Output)];

    /// <summary>
    /// Each chain's rules, in order. Inbound: everything but the sidecar's own listeners and the excluded ports goes to
    /// the inbound listener. Outbound: the sidecar's own traffic (by uid/gid), loopback (the app calling itself, its own
    /// pod IP included, as Linkerd does), and the excluded ports and networks return; the rest goes to the outbound
    /// listener.
    /// </summary>
    public static IReadOnlyList<(string Chain, string Spec)> ChainRules(CaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rules = new List<(string, string)>();
        var inboundReturns = new[] { options.InboundPort, options.AdminPort }.Concat(options.ExcludeInboundPorts).Distinct();
        rules.AddRange(inboundReturns.Select(port => (Inbound, $"-p tcp -m tcp --dport {Text(port)} -j RETURN")));
        rules.Add((Inbound, $"-p tcp -j {InboundRedirect}"));
        rules.Add((InboundRedirect, $"-p tcp -j REDIRECT --to-ports {Text(options.InboundPort)}"));
        if (options.ProxyUid is { } uid)
        {
            rules.Add((Output, $"-m owner --uid-owner {uid.ToString(CultureInfo.InvariantCulture)} -j RETURN"));
        }

        if (options.ProxyGid is { } gid)
        {
            rules.Add((Output, $"-m owner --gid-owner {gid.ToString(CultureInfo.InvariantCulture)} -j RETURN"));
        }

        rules.Add((Output, "-o lo -j RETURN"));
        rules.AddRange(options.ExcludeOutboundPorts.Select(port => (Output, $"-p tcp -m tcp --dport {Text(port)} -j RETURN")));
        rules.AddRange(options.ExcludeOutboundCidrs.Select(cidr => (Output, $"-d {cidr} -j RETURN")));
        rules.Add((Output, $"-p tcp -j {OutboundRedirect}"));
        rules.Add((OutboundRedirect, $"-p tcp -j REDIRECT --to-ports {Text(options.OutboundPort)}"));
        return rules;
    }

    /// <summary>The spec of the jump from a built-in chain into Weft's chain.</summary>
    public static string JumpSpec(string to) => $"-p tcp -j {to}";

    /// <summary>The restore input that installs the rules for <paramref name="options"/> over <paramref name="current"/>.</summary>
    public static string RestoreInput(CaptureOptions options, SavedRuleset current)
    {
        var input = new StringBuilder().Append('*').Append(Table).Append('\n');
        foreach (var line in StaleJumps(current))
        {
            input.Append(line).Append('\n');
        }

        foreach (var chain in Chains)
        {
            input.Append(':').Append(chain).Append(" - [0:0]\n");
        }

        foreach (var (chain, spec) in ChainRules(options))
        {
            input.Append("-A ").Append(chain).Append(' ').Append(spec).Append('\n');
        }

        foreach (var (from, to) in Jumps)
        {
            input.Append("-A ").Append(from).Append(' ').Append(JumpSpec(to)).Append('\n');
        }

        return input.Append("COMMIT\n").ToString();
    }

    /// <summary>
    /// The <c>-D</c> lines for every jump from PREROUTING or OUTPUT into a Weft chain, one per rule (so duplicates all go):
    /// what a run replaces. A jump the user added into a chain of their own is not Weft's and is not listed.
    /// </summary>
    public static IReadOnlyList<string> StaleJumps(SavedRuleset current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return [.. Jumps.SelectMany(j => current.RulesOf(Table, j.From)).Where(r => IsWeftChain(r.Target)).Select(r => r.DeleteLine)];
    }

    /// <summary>
    /// The restore input that removes every Weft chain and every rule jumping into one (from any chain but Weft's own),
    /// leaving everything else; null when there is nothing of Weft's. A chain can only be deleted empty and unreferenced:
    /// so the jumps go first, then every Weft chain is emptied, then deleted.
    /// </summary>
    public static string? RemovalInput(SavedRuleset current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var chains = current.ChainsOf(Table).Where(c => IsWeftChain(c)).ToList();
        var jumps = current.Rules.Where(r => r.Table == Table && !IsWeftChain(r.Chain) && IsWeftChain(r.Target)).ToList();
        if (chains.Count == 0 && jumps.Count == 0)
        {
            return null;
        }

        var input = new StringBuilder().Append('*').Append(Table).Append('\n');
        foreach (var jump in jumps)
        {
            input.Append(jump.DeleteLine).Append('\n');
        }

        foreach (var chain in chains)
        {
            input.Append(':').Append(chain).Append(" - [0:0]\n");
        }

        foreach (var chain in chains)
        {
            input.Append("-X ").Append(chain).Append('\n');
        }

        return input.Append("COMMIT\n").ToString();
    }

    /// <summary>
    /// What is wrong with the table read back after applying: a missing chain, a chain holding another number of rules
    /// than written, or a jump missing or doubled. Empty when the table holds what was written.
    /// </summary>
    public static IReadOnlyList<string> Verify(CaptureOptions options, SavedRuleset applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        var problems = new List<string>();
        var expected = ChainRules(options);
        foreach (var chain in Chains)
        {
            if (!applied.HasChain(Table, chain))
            {
                problems.Add($"chain {chain} is missing");
                continue;
            }

            var written = expected.Count(r => r.Chain == chain);
            var found = applied.RulesOf(Table, chain).Count();
            if (found != written)
            {
                problems.Add($"chain {chain} holds {found} rules, {written} were written");
            }
        }

        foreach (var (from, to) in Jumps)
        {
            var count = applied.RulesOf(Table, from).Count(r => r.Target == to);
            if (count != 1)
            {
                problems.Add($"{from} jumps to {to} {count} times, not once");
            }
        }

        return problems;
    }

    public static bool IsWeftChain(string? chain) => chain is not null && chain.StartsWith(Prefix, StringComparison.Ordinal);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
