namespace Weft.Routing;

/// <summary>
/// The names sidecars and the parts that start them agree on: the header between sidecars, the admin paths the injector
/// probes, and the environment a sidecar reads. One spelling each, in the forms the hot paths need.
/// </summary>
public static class MeshWire
{
    /// <summary>The app port a request is for, sent by the client's sidecar to the server's inbound listener and removed there.</summary>
    public const string DestinationPortHeader = "weft-dst-port";

    /// <summary><see cref="DestinationPortHeader"/> in ASCII, for the HTTP/1.1 fast path's header parser.</summary>
    public static ReadOnlySpan<byte> DestinationPortHeaderAscii => "weft-dst-port"u8;

    /// <summary>The start of the <see cref="DestinationPortHeader"/> line the HTTP/1.1 fast path writes (the port follows).</summary>
    public static ReadOnlySpan<byte> DestinationPortLineStart => "weft-dst-port: "u8;

    /// <summary>
    /// The calling workload, <c>namespace/workload</c>, sent by the client's sidecar with every request to a peer sidecar
    /// (for the server side's metrics). The inbound listener believes it only from an mTLS peer whose SPIFFE ID names the
    /// same namespace, and removes it from every request before the policy or the app sees it.
    /// </summary>
    public const string SourceWorkloadHeader = "weft-src-workload";

    /// <summary><see cref="SourceWorkloadHeader"/> in ASCII, for the HTTP/1.1 fast path's header parser.</summary>
    public static ReadOnlySpan<byte> SourceWorkloadHeaderAscii => "weft-src-workload"u8;

    /// <summary>The admin listener's readiness path (the injected sidecar's readiness probe, <c>weft up</c>'s wait).</summary>
    public const string ReadyPath = "/ready";

    /// <summary>
    /// The sidecar's liveness path on its admin port: 200 while every listener still takes connections, whatever the
    /// control plane does (the kubelet's livenessProbe restarts a sidecar that fails it; so does <c>weft up</c>).
    /// </summary>
    public const string LivePath = "/live";

    /// <summary>The admin path prefix of the app's rewritten kubelet probes: <c>/app-health/CONTAINER/KIND</c>.</summary>
    public const string AppHealthPrefix = "/app-health/";

    /// <summary>The environment variable holding the app's rewritten probes (JSON by admin path), set by the injector.</summary>
    public const string AppProbesVariable = "WEFT_APP_PROBES";

    /// <summary>The environment variable holding the workload token when no token file is given (<c>weft up</c>'s sidecars).</summary>
    public const string TokenVariable = "WEFT_TOKEN";
}
