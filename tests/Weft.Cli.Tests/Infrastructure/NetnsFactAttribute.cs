namespace Weft.Cli.Tests.Infrastructure;

/// <summary>
/// A test that makes network namespaces, links and iptables rules (inside namespaces of its own): it needs root on
/// Linux, or it is skipped. As root it runs, and fails if a tool is missing (<c>test.sh</c> installs them), so that CI,
/// which is root, never skips it quietly.
/// </summary>
internal sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Skip = "needs root on Linux to make network namespaces";
        }
    }
}
