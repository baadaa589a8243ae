namespace Weft.Cli.Capture;

/// <summary>
/// The backend that writes the rules, and why: the reason is printed, so that a pod whose rules went to the wrong backend
/// says so in its init container's log.
/// </summary>
internal sealed record BackendChoice(IptablesMode Mode, string Reason)
{
    /// <summary>
    /// The choice, as Istio's and Linkerd's init containers make it: an explicit mode wins. In auto, the backend that
    /// already holds Weft's chains (a re-run must replace its rules, not add a second set elsewhere); else the only one
    /// holding rules, because the kernel applies both backends and this namespace's owner (CNI, kube-proxy, the image)
    /// already picked one; else the system's default <c>iptables</c>; else whichever is installed (nft first).
    /// Null when the requested backend is not installed (<paramref name="error"/> says so).
    /// </summary>
    public static BackendChoice? Choose(IptablesMode requested, IReadOnlyList<BackendState> available, IptablesMode? systemDefault, out string error)
    {
        ArgumentNullException.ThrowIfNull(available);
        error = "";
        if (requested != IptablesMode.Auto)
        {
            if (available.Any(b => b.Mode == requested))
            {
                return new BackendChoice(requested, $"{CaptureArguments.Mode} {CaptureArguments.FormatMode(requested)}");
            }

            error = $"{CaptureArguments.Mode} {CaptureArguments.FormatMode(requested)}: {IptablesBinaries.RestoreName(requested)} not found";
            return null;
        }

        if (available.Count == 0)
        {
            error = "no iptables backend found";
            return null;
        }

        var withWeft = available.Where(b => b.HasWeftChains).ToList();
        if (withWeft.Count == 1)
        {
            return new BackendChoice(withWeft[0].Mode, "Weft's chains are already there");
        }

        var withRules = available.Where(b => b.RuleCount > 0).ToList();
        if (withWeft.Count == 0 && withRules.Count == 1)
        {
            return new BackendChoice(withRules[0].Mode, $"the only backend with rules in this network namespace ({withRules[0].RuleCount})");
        }

        var why = withWeft.Count > 1 ? "both backends hold Weft's chains"
            : withRules.Count > 1 ? "both backends hold rules"
            : "no rules yet in this network namespace";
        if (systemDefault is { } mode && available.Any(b => b.Mode == mode))
        {
            return new BackendChoice(mode, $"{why}; the system's iptables is {Name(mode)}");
        }

        var only = available.FirstOrDefault(b => b.Mode == IptablesMode.Nft) ?? available[0];
        return new BackendChoice(only.Mode, $"{why}; {IptablesBinaries.RestoreName(only.Mode)} is installed");
    }

    private static string Name(IptablesMode mode) => mode == IptablesMode.Nft ? "nf_tables" : "legacy";
}
