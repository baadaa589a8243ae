namespace Weft.Discovery.Tap;

/// <summary>
/// The hop from the control plane to a sidecar's tap (issue 16): the control plane opens an mTLS connection to the pod's
/// inbound port with ALPN <see cref="Alpn"/>, as <see cref="ControlPlaneIdentity"/>, writes one length-delimited
/// <c>TapRequest</c> and reads length-delimited <c>TapEvent</c>s until the sidecar closes. The sidecar admits that one
/// identity and no other: a workload's certificate always names <c>/ns/…/sa/…</c>, which this path never is, so no
/// workload (and no local process that knows the port) can read another pod's traffic. A <c>TapRequest</c> with
/// <c>stat_window_seconds</c> set is a stat query on the same hop (<c>weft stat</c>): one <c>TapEvent</c> carrying the
/// sidecar's <c>StatWindow</c> answers it.
/// </summary>
public static class TapWire
{
    /// <summary>The ALPN protocol of a tap connection.</summary>
    public const string Alpn = "weft-tap";

    /// <summary>The notice of the last event of a stream that ended because it reached its event count.</summary>
    public const string EndedMaxEvents = "max events reached";

    /// <summary>The notice of the last event of a stream that ended because its time was up.</summary>
    public const string EndedDuration = "duration reached";

    /// <summary>The notice a sidecar sends, and closes, when it already runs its most taps.</summary>
    public const string LimitReached = "tap limit reached";

    /// <summary>The control plane's SPIFFE ID in <paramref name="trustDomain"/>, the only one a sidecar's tap admits.</summary>
    public static string ControlPlaneIdentity(string trustDomain) => $"spiffe://{trustDomain}/weft/control-plane";
}
