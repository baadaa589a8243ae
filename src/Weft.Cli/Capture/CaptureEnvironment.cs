namespace Weft.Cli.Capture;

/// <summary>
/// What <c>weft init</c> reads from the process it runs in: where to look for iptables, and its capabilities (null:
/// unknown, so iptables itself will say). Tests give their own, to run without iptables or without privilege.
/// </summary>
internal sealed record CaptureEnvironment(string? SearchPath, ProcessCapabilities? Capabilities)
{
    public static CaptureEnvironment Current() => new(Environment.GetEnvironmentVariable("PATH"), ProcessCapabilities.Current());
}
