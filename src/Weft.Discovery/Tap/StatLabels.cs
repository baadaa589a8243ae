using Google.Protobuf.Collections;

namespace Weft.Discovery.Tap;

/// <summary>
/// The labels of a request series, as a sidecar writes them (its Prometheus series and its stat windows) and as the
/// control plane and <c>weft stat</c>/<c>weft dashboard</c> read them back: one home for the names and the direction
/// values, so writer and readers cannot drift apart.
/// </summary>
public static class StatLabels
{
    public const string Direction = "direction";
    public const string DstNamespace = "dst_namespace";
    public const string DstService = "dst_service";
    public const string DstPort = "dst_port";
    public const string RouteKind = "route_kind";
    public const string RouteNamespace = "route_namespace";
    public const string RouteName = "route_name";
    public const string Rule = "rule";
    public const string Backend = "backend";
    public const string SrcNamespace = "src_namespace";
    public const string SrcWorkload = "src_workload";
    public const string SrcIdentity = "src_identity";
    public const string DstWorkload = "dst_workload";
    public const string DstIdentity = "dst_identity";

    /// <summary>The <see cref="Direction"/> of a request a sidecar's inbound port served (the producer view).</summary>
    public const string Inbound = "inbound";

    /// <summary>The <see cref="Direction"/> of a request a sidecar's app sent (the consumer view).</summary>
    public const string Outbound = "outbound";

    /// <summary>Every label of the series a sidecar counts label sets beyond its bound under.</summary>
    public const string Overflow = "overflow";

    /// <summary>A label's value in <paramref name="labels"/>, "" when absent.</summary>
    public static string Of(MapField<string, string> labels, string name)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return labels.TryGetValue(name, out var value) ? value : "";
    }

    /// <summary>
    /// The labels naming the sidecar's own end of a series: the destination of an inbound one, the source of an outbound
    /// one (the other end is the peer).
    /// </summary>
    public static (string Namespace, string Workload) OwnEnd(string direction) =>
        direction == Inbound ? (DstNamespace, DstWorkload) : (SrcNamespace, SrcWorkload);
}
