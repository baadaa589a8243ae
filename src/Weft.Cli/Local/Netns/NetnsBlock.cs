using System.Globalization;
using System.Net;
using Weft.Cli.Capture;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// One running mesh's share of the <see cref="NetnsRange"/>, a /23: pods in its first /24 (the node's bridge holds
/// <see cref="Gateway"/>, <c>.1</c>, which also answers DNS and serves the control plane), Service ClusterIPs in its second.
/// Every link, namespace and file the mesh makes is named after <see cref="Index"/>, so that a later run can tell a
/// crashed run's leftovers (<see cref="NetnsJanitor"/>).
/// </summary>
internal sealed record NetnsBlock(int Index, uint Network)
{
    public const string NetnsPrefix = "weft-";
    public const string BridgePrefix = "wft";

    public Ipv4Cidr Pods => new(Network, 24);

    public Ipv4Cidr Services => new(Network + 256, 24);

    public IPAddress Gateway => Pods.Address(1);

    public string PodCidr => Pods.ToString();

    public string ServiceCidr => Services.ToString();

    /// <summary>The node's bridge: <c>wft&lt;index&gt;</c> (interface names have at most 15 characters).</summary>
    public string BridgeName => BridgePrefix + Index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The prefix of every pod namespace of this block: <c>weft-&lt;index&gt;-</c>.</summary>
    public string PodNetnsPrefix => $"{NetnsPrefix}{Index.ToString(CultureInfo.InvariantCulture)}-";

    /// <summary>The host end of the veth pair of the pod at <paramref name="podAddress"/>: <c>wft&lt;index&gt;p&lt;last octet&gt;</c>.</summary>
    public string VethName(IPAddress podAddress)
    {
        ArgumentNullException.ThrowIfNull(podAddress);
        return $"{BridgeName}p{(Ipv4Cidr.ToUInt32(podAddress) & 0xFF).ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// The namespace of pod <paramref name="podNamespace"/>/<paramref name="podName"/> at <paramref name="podAddress"/>:
    /// <c>weft-&lt;index&gt;-&lt;last octet&gt;-&lt;ns&gt;.&lt;pod&gt;</c>. The octet makes it unique (one pod per address), the
    /// dot unambiguous (a namespace name has none); at most 200 characters, as namespace names are file names.
    /// </summary>
    public string PodNetnsName(string podNamespace, string podName, IPAddress podAddress)
    {
        ArgumentNullException.ThrowIfNull(podAddress);
        var name = $"{PodNetnsPrefix}{(Ipv4Cidr.ToUInt32(podAddress) & 0xFF).ToString(CultureInfo.InvariantCulture)}-{podNamespace}.{podName}";
        return name.Length <= 200 ? name : name[..200];
    }
}
