namespace Weft.Cli.Capture;

/// <summary>
/// What <c>iptables-save</c> printed, read into chains and rules per table. Only the structure is read: which chains
/// exist, and each rule's chain, text and target; matches stay text. Comments, counters and policies are skipped.
/// </summary>
internal sealed record SavedRuleset(IReadOnlyList<(string Table, string Chain)> Chains, IReadOnlyList<SavedRule> Rules)
{
    public static SavedRuleset Empty { get; } = new([], []);

    public static SavedRuleset Parse(string saveOutput)
    {
        var chains = new List<(string, string)>();
        var rules = new List<SavedRule>();
        string? table = null;
        foreach (var raw in saveOutput.Split('\n'))
        {
            var line = WithoutCounters(raw.TrimEnd('\r'));
            if (line.StartsWith('*'))
            {
                table = line[1..].Trim();
            }
            else if (line == "COMMIT")
            {
                table = null;
            }
            else if (table is null || line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            else if (line.StartsWith(':'))
            {
                // ":NAME POLICY [packets:bytes]"
                var end = line.IndexOf(' ', StringComparison.Ordinal);
                chains.Add((table, end < 0 ? line[1..] : line[1..end]));
            }
            else if (line.StartsWith("-A ", StringComparison.Ordinal))
            {
                var rest = line[3..];
                var end = rest.IndexOf(' ', StringComparison.Ordinal);
                var chain = end < 0 ? rest : rest[..end];
                var spec = end < 0 ? "" : rest[(end + 1)..];
                rules.Add(new SavedRule(table, chain, spec, TargetOf(spec)));
            }
        }

        return new SavedRuleset(chains, rules);
    }

    public bool HasChain(string table, string chain) => Chains.Contains((table, chain));

    public IEnumerable<string> ChainsOf(string table) => Chains.Where(c => c.Table == table).Select(c => c.Chain);

    public IEnumerable<SavedRule> RulesOf(string table, string chain) => Rules.Where(r => r.Table == table && r.Chain == chain);

    // "iptables-save -c" prefixes each rule with its counters: "[packets:bytes] -A …".
    private static string WithoutCounters(string line)
    {
        if (line.StartsWith('['))
        {
            var end = line.IndexOf("] ", StringComparison.Ordinal);
            return end < 0 ? line : line[(end + 2)..];
        }

        return line;
    }

    // iptables-save prints the target after every match, so the last "-j"/"-g" word is the target's, even when a quoted
    // comment before it holds "-j" too.
    private static string? TargetOf(string spec)
    {
        var words = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = words.Length - 2; i >= 0; i--)
        {
            if (words[i] is "-j" or "-g" or "--jump" or "--goto")
            {
                return words[i + 1];
            }
        }

        return null;
    }
}
