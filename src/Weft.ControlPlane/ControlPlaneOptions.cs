using Microsoft.Extensions.Logging;
using Weft.Api.Model;
using Weft.ControlPlane.Identity;

namespace Weft.ControlPlane;

/// <summary>How to start a <see cref="ControlPlaneHost"/>.</summary>
public sealed record ControlPlaneOptions
{
    /// <summary>A directory of manifests to load and watch; null for a store fed only by other sources.</summary>
    public string? ManifestDirectory { get; init; }

    /// <summary>File names in <see cref="ManifestDirectory"/> that are not manifests (the local mode's image map).</summary>
    public IReadOnlySet<string> IgnoredFileNames { get; init; } = new HashSet<string>();

    /// <summary>The IP address the discovery server listens on.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 lets the OS pick one (see <see cref="ControlPlaneHost.Address"/>).</summary>
    public int Port { get; init; }

    /// <summary>
    /// The most discovery streams one client pod may hold open (issue 15); more are refused with ResourceExhausted. Twice
    /// the sidecar's own default limit, so that a sidecar within its limit never meets this one, even with streams it has
    /// just closed still ending here.
    /// </summary>
    public int MaxStreamsPerPod { get; init; } = 2 * 1000;

    /// <summary>
    /// More sources of objects, started after the manifests directory (so an object they hold wins over the directory's
    /// of the same kind, namespace and name) and before the first model is built and discovery is served: when
    /// <c>weft up</c> runs the control plane as a child process, the pods, EndpointSlices and admitted Services it
    /// records (<c>Weft.Cli.Local.ClusterMirror</c>), so that a restarted control plane answers its first call with them.
    /// Disposed with the host.
    /// </summary>
    public Func<Objects.ObjectStore, IAsyncDisposable>? MoreSources { get; init; }

    /// <summary>The port the relay of <c>weft tap</c> calls each pod's sidecar on (its inbound port; tests move it).</summary>
    public int SidecarInboundPort { get; init; } = Weft.Routing.MeshPorts.Inbound;

    /// <summary>Applied to every object entering the store, as an API server's admission (the local cluster allocates ClusterIPs).</summary>
    public Func<KubeObject, KubeObject>? Admission { get; init; }

    /// <summary>
    /// Where the control plane keeps what must survive a restart: the generated mesh root (unless <see cref="Ca"/> says
    /// otherwise) and the workload token key. Null: both live in memory and are new on every start.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>The mesh CA; its <see cref="CaOptions.StateDirectory"/> defaults to <see cref="StateDirectory"/>.</summary>
    public CaOptions Ca { get; init; } = new();

    /// <summary>Authenticates the tokens proxies present for certificates; null: the tokens <see cref="ControlPlaneHost.IssueWorkloadToken"/> makes.</summary>
    public IWorkloadAuthenticator? WorkloadAuthenticator { get; init; }

    /// <summary>
    /// Decides for operators who present their own credential instead of the admin credential (a cluster's users, by
    /// RBAC: <see cref="Kubernetes.KubeAdminReviewer"/>); null: only the admin credential may read status, stat and tap.
    /// </summary>
    public IAdminReviewer? AdminReviewer { get; init; }

    /// <summary>
    /// How long a token from <see cref="ControlPlaneHost.IssueWorkloadToken"/> is valid (as a projected service-account
    /// token, short-lived): the local cluster rewrites each sidecar's token file before it expires, and a workload
    /// certificate never outlives the token it was issued for.
    /// </summary>
    public TimeSpan WorkloadTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The names of the discovery server's TLS certificate (from the mesh CA): the controller's Service DNS names and
    /// addresses; null: <c>localhost</c> and <see cref="ListenAddress"/> (the local mesh, on loopback or the node's bridge).
    /// </summary>
    public ServingIdentity? Tls { get; init; }

    /// <summary>
    /// More HTTP endpoints on the discovery port (the controller's admission webhook and readiness), mapped beside the
    /// discovery service. The port then speaks HTTP/1.1 as well as HTTP/2 (ALPN chooses).
    /// </summary>
    public Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder>? MapEndpoints { get; init; }

    /// <summary>
    /// The mesh's default inbound policy (issue 14, Linkerd's <c>default-inbound-policy</c>): what a workload admits when
    /// no ALLOW AuthorizationPolicy applies and neither its pod nor its namespace sets
    /// <see cref="Weft.Routing.Authorization.DefaultInboundPolicies.Key"/>. One of
    /// <see cref="Weft.Routing.Authorization.DefaultInboundPolicies.All"/>; another value fails <see cref="ControlPlaneHost.StartAsync"/>.
    /// </summary>
    public string DefaultInboundPolicy { get; init; } = Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated;

    /// <summary>
    /// The mesh's default outbound policy (issue 17, Istio's <c>outboundTrafficPolicy</c>): what a client's sidecar does
    /// with traffic for a destination outside the mesh when neither its pod nor its namespace sets
    /// <see cref="Weft.Routing.OutboundPolicies.Key"/>. One of <see cref="Weft.Routing.OutboundPolicies.All"/>; another
    /// value fails <see cref="ControlPlaneHost.StartAsync"/>.
    /// </summary>
    public string DefaultOutboundPolicy { get; init; } = Weft.Routing.OutboundPolicies.AllowAny;

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider? Time { get; init; }
}
