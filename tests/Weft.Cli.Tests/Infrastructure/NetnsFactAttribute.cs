using Weft.Cli.Local;

namespace Weft.Cli.Tests.Infrastructure;

/// <summary>
/// A test that makes network namespaces, links and iptables rules (inside namespaces of its own): it needs root with
/// CAP_SYS_ADMIN and CAP_NET_ADMIN on Linux, or it is skipped. With those it runs, and fails if a tool is missing
/// (<c>test.sh</c> installs them), so that CI, which is root, never skips it quietly.
/// </summary>
internal sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (IsolationChoice.MissingPrivilege() is { } why)
        {
            Skip = $"needs network namespaces: {why}";
        }
    }
}

/// <summary>A table-driven <see cref="NetnsFactAttribute"/>: skipped without the privilege to make network namespaces.</summary>
internal sealed class NetnsTheoryAttribute : TheoryAttribute
{
    public NetnsTheoryAttribute()
    {
        if (IsolationChoice.MissingPrivilege() is { } why)
        {
            Skip = $"needs network namespaces: {why}";
        }
    }
}
