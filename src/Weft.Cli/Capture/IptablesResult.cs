namespace Weft.Cli.Capture;

/// <summary>How one run of an iptables program ended.</summary>
internal sealed record IptablesResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>
    /// Whether the kernel refused for lack of privilege: both backends say "Permission denied (you must be root)".
    /// </summary>
    public bool PermissionDenied =>
        ExitCode != 0 && (Stderr.Contains("Permission denied", StringComparison.Ordinal)
            || Stderr.Contains("you must be root", StringComparison.Ordinal)
            || Stderr.Contains("Operation not permitted", StringComparison.Ordinal));
}
