using System.Net;

namespace Weft.Proxy.External;

/// <summary>The nameservers of a <c>resolv.conf(5)</c>, in order: its <c>nameserver</c> lines, IPv4 or IPv6, port 53.</summary>
internal static class ResolvConf
{
    public const string SystemPath = "/etc/resolv.conf";

    private const int DnsPort = 53;

    /// <summary>The nameservers <paramref name="text"/> names; a line whose address does not parse is skipped, as glibc does.</summary>
    public static IReadOnlyList<IPEndPoint> Nameservers(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nameservers = new List<IPEndPoint>();
        foreach (var line in text.Split('\n'))
        {
            var words = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 2 && words[0] == "nameserver" && IPAddress.TryParse(words[1], out var address))
            {
                nameservers.Add(new IPEndPoint(address, DnsPort));
            }
        }

        return nameservers;
    }

    /// <summary>The system's nameservers; none when the file is missing or unreadable.</summary>
    public static IReadOnlyList<IPEndPoint> SystemNameservers()
    {
        try
        {
            return Nameservers(File.ReadAllText(SystemPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
