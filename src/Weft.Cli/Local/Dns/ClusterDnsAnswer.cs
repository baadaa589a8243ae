using System.Net;

namespace Weft.Cli.Local.Dns;

/// <summary>
/// What the cluster's DNS knows of one fully qualified name: nothing (NXDOMAIN), or that the name exists with these
/// addresses; a name that exists without addresses is answered NOERROR with no records (NODATA).
/// </summary>
internal sealed record ClusterDnsAnswer(bool NameExists, IReadOnlyList<IPAddress> Addresses)
{
    public static readonly ClusterDnsAnswer NxDomain = new(false, []);

    public static readonly ClusterDnsAnswer NoData = new(true, []);
}
