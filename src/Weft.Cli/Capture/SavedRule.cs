namespace Weft.Cli.Capture;

/// <summary>
/// One <c>-A CHAIN …</c> line of <c>iptables-save</c>: its table, its chain, the rule as written after the chain name
/// (what a <c>-D CHAIN</c> line needs to delete exactly this rule), and its <c>-j</c>/<c>-g</c> target, if any.
/// </summary>
internal sealed record SavedRule(string Table, string Chain, string Spec, string? Target)
{
    /// <summary>The restore line that deletes this rule (the first rule with the same spec, which is as good).</summary>
    public string DeleteLine => $"-D {Chain} {Spec}";
}
