namespace Weft.Cli.Capture;

/// <summary>
/// Why <c>weft init</c> stops, with its exit code: 2 when it could not start (no iptables, no privilege, no such backend),
/// 1 when iptables refused the rules or the table read back does not hold them.
/// </summary>
internal sealed class CaptureFailure : Exception
{
    public const string NotInstalledMessage = "iptables not found: install Debian's iptables package (apt-get install iptables)";

    public CaptureFailure(string message, int exitCode = 1)
        : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }

    public static CaptureFailure NotInstalled() => new(NotInstalledMessage, 2);

    public static CaptureFailure NotPrivileged(string detail) =>
        new($"{detail}: changing iptables rules needs CAP_NET_ADMIN in this network namespace (run as root, or give the init container the NET_ADMIN and NET_RAW capabilities)", 2);
}
