namespace Weft.Routing;

/// <summary>
/// The sidecar's listeners on the pod IP (Istio's numbers): what the proxy binds by default, what <c>weft init</c>'s capture
/// rules redirect to and spare, what the injector keeps app containers off, and what <c>weft up</c> dials.
/// </summary>
public static class MeshPorts
{
    /// <summary>Admin: <c>/ready</c>, <c>/stats</c>, <c>/metrics</c>, the app's rewritten probes; never captured.</summary>
    public const int Admin = 15000;

    /// <summary>Outbound: the app's captured connections (on 127.0.0.1), or its proxy settings' CONNECT and absolute-form requests.</summary>
    public const int Outbound = 15001;

    /// <summary>Inbound: peer sidecars (mTLS, <see cref="MeshWire.DestinationPortHeader"/>) and connections captured on their way to the app.</summary>
    public const int Inbound = 15006;

    /// <summary>
    /// The user and group id the sidecar runs as (Istio's): the capture rules spare its traffic by this id, so the
    /// injector and <c>weft up</c> must run it as exactly this one.
    /// </summary>
    public const int SidecarUid = 1337;
}
