namespace Weft.Cli.Capture;

/// <summary>
/// One iptables backend found on this machine, as it stands in this network namespace: how many rules it holds (all
/// tables) and whether Weft's chains are among them.
/// </summary>
internal sealed record BackendState(IptablesMode Mode, int RuleCount, bool HasWeftChains);
