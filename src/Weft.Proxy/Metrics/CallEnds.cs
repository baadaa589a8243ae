namespace Weft.Proxy.Metrics;

/// <summary>
/// The two ends of one call as this sidecar saw it: its own workload is the source of an outbound call and the destination
/// of an inbound one; the labels' peer (<see cref="RequestLabels.PeerNamespace"/> and the rest) is the other end. The one
/// mapping that metrics' <c>src_*</c> / <c>dst_*</c> labels and tap events both read.
/// </summary>
internal readonly record struct CallEnds(
    string SrcNamespace,
    string SrcWorkload,
    string SrcIdentity,
    string DstNamespace,
    string DstWorkload,
    string DstIdentity)
{
    /// <param name="labels">The call's labels.</param>
    /// <param name="local">This sidecar's workload.</param>
    /// <param name="identity">This sidecar's SPIFFE ID now ("" when not yet known).</param>
    public static CallEnds Of(in RequestLabels labels, LocalWorkload local, string identity)
    {
        ArgumentNullException.ThrowIfNull(local);
        var inbound = labels.Direction == RequestLabels.Inbound;
        var peerIsSource = inbound || labels.Direction == RequestLabels.OverflowValue; // overflow: every label "overflow"
        return new(
            peerIsSource ? labels.PeerNamespace : local.Namespace,
            peerIsSource ? labels.PeerWorkload : local.Workload,
            peerIsSource ? labels.PeerIdentity : identity,
            inbound ? local.Namespace : labels.DstNamespace,
            inbound ? local.Workload : labels.PeerWorkload,
            inbound ? identity : labels.PeerIdentity);
    }
}
