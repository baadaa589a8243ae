namespace Weft.Proxy.Metrics;

/// <summary>
/// The labels of one request (or L4 connection) series: where it went (direction, destination Service and port), which
/// route rule took it (kind, namespace, name, and the rule's name when it has one, GEP-995 HTTPRouteNamedRouteRule, else
/// its index), which backend served it (namespace/name:port), and the workload on the other side of the call: on the
/// outbound side the destination's (the picked endpoint's workload and SPIFFE ID), on the inbound side the caller's
/// (its namespace and SPIFFE ID from the mTLS handshake, its workload from a trusted
/// <see cref="Weft.Routing.MeshWire.SourceWorkloadHeader"/>). This sidecar's own workload is the other end of every
/// series (<see cref="LocalWorkload"/>), written at scrape time. Empty strings for what does not apply or is not known.
/// Every value comes from policy objects, pods or verified identities; none from a path, host or anything else a
/// request chooses.
/// </summary>
internal readonly record struct RequestLabels(
    string Direction,
    string DstNamespace,
    string DstService,
    string DstPort,
    string RouteKind,
    string RouteNamespace,
    string RouteName,
    string Rule,
    string Backend,
    string PeerNamespace = "",
    string PeerWorkload = "",
    string PeerIdentity = "")
{
    /// <summary>What a label set beyond the series limit is counted under: every label "overflow".</summary>
    public static readonly RequestLabels Overflow = new(
        OverflowValue, OverflowValue, OverflowValue, OverflowValue, OverflowValue, OverflowValue, OverflowValue, OverflowValue, OverflowValue,
        OverflowValue, OverflowValue, OverflowValue);

    public const string OverflowValue = Weft.Discovery.Tap.StatLabels.Overflow;

    /// <summary>The <see cref="Direction"/> of a request this sidecar's inbound port served.</summary>
    public const string Inbound = Weft.Discovery.Tap.StatLabels.Inbound;

    /// <summary>The <see cref="Direction"/> of a request this sidecar's app sent.</summary>
    public const string Outbound = Weft.Discovery.Tap.StatLabels.Outbound;

    /// <summary>The route that took the request, <c>kind/namespace/name</c> (as traces and taps name it); "" for none.</summary>
    public string Route => RouteName.Length == 0 ? "" : $"{RouteKind}/{RouteNamespace}/{RouteName}";

    /// <summary>These labels, with the workload on the other side of the call.</summary>
    public RequestLabels WithPeer(string @namespace, string workload, string identity) =>
        this with { PeerNamespace = @namespace, PeerWorkload = workload, PeerIdentity = identity };
}
