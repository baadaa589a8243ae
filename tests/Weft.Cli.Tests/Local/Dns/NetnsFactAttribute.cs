namespace Weft.Cli.Tests.Local.Dns;

/// <summary>A test that creates network namespaces and veth links: it needs root, iproute2 and getent, or it is skipped.</summary>
internal sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Skip = "needs root on Linux to create network namespaces";
        }
        else if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            Skip = "needs iproute2 (ip)";
        }
        else if (!File.Exists("/usr/bin/getent"))
        {
            Skip = "needs getent (glibc)";
        }
    }
}
