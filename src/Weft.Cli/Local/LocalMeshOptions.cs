using Microsoft.Extensions.Logging;

namespace Weft.Cli.Local;

/// <summary>How to start a <see cref="LocalMesh"/>.</summary>
internal sealed record LocalMeshOptions
{
    /// <summary>Progress lines ("starting pod …"); null for none.</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>Also write the state here once everything is ready.</summary>
    public string? ReadyFile { get; init; }

    /// <summary>Where to keep the state file and logs; default <see cref="StateFile.RunDirectory"/> of the manifests directory.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>Control plane logging; default a console logger at Warning (Information with <see cref="Verbose"/>).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    public bool Verbose { get; init; }

    public WeftLauncher? Weft { get; init; }

    /// <summary>
    /// The mesh CA: a user-provided root (<c>weft up --ca-cert/--ca-key</c>), the workload certificate lifetime. Without
    /// a root it is generated once and kept in <c>RUN_DIR/state</c>, so a restart of the same mesh directory keeps it.
    /// </summary>
    public global::Weft.ControlPlane.Identity.CaOptions Ca { get; init; } = new();

    /// <summary>How pods are isolated (<see cref="IsolationChoice"/> decides it for <c>weft up</c>); process by default.</summary>
    public Isolation Isolation { get; init; } = Isolation.Process;

    /// <summary>Where network-namespace pods and Services take their addresses (<c>weft up --netns-range</c>).</summary>
    public Netns.NetnsRange NetnsRange { get; init; } = Netns.NetnsRange.Default;

    /// <summary>
    /// Play kubelet and controller-manager for this API server (<c>weft up --kubeconfig</c>): the directory is applied
    /// through the API, pods and EndpointSlices are recorded there, and an in-process <c>weft controller</c> reads it all
    /// back and serves the sidecars. Null: the local mode's own control plane over the directory.
    /// </summary>
    public Api.ApiServerConnection? ApiServer { get; init; }

    /// <summary>The mTLS mode of pods and namespaces without a <c>weft.dev/mtls</c> label or annotation.</summary>
    public global::Weft.Proxy.Security.MtlsMode MtlsDefault { get; init; } = global::Weft.Proxy.Security.MtlsMode.Strict;

    /// <summary>The mesh's tracing (<c>--trace-collector</c>, <c>--trace-sampling</c>); a pod's annotations override it.</summary>
    public global::Weft.Routing.Tracing.TracingSettings Tracing { get; init; } = global::Weft.Routing.Tracing.TracingSettings.Off;

    /// <summary>The default inbound policy of pods and namespaces without a <c>weft.dev/default-inbound-policy</c> of their own.</summary>
    public string DefaultInboundPolicy { get; init; } = global::Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated;

    /// <summary>The outbound policy of pods and namespaces without a <c>weft.dev/outbound-policy</c> of their own.</summary>
    public string DefaultOutboundPolicy { get; init; } = global::Weft.Routing.OutboundPolicies.AllowAny;

    /// <summary>How long a sidecar's workload token is valid; <c>weft up</c> rewrites each token file at 80% of it.</summary>
    public TimeSpan WorkloadTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Run the control plane as a child process (<c>weft up --control-plane process</c>, <see cref="ControlPlaneProcess"/>)
    /// that weft up restarts when it exits, instead of inside weft up; not with <see cref="ApiServer"/>.
    /// </summary>
    public bool ControlPlaneProcess { get; init; }

    /// <summary>How long a running sidecar may fail <c>/live</c> before weft up restarts it (<see cref="LocalClusterOptions.SidecarUnreadyDeadline"/>).</summary>
    public TimeSpan SidecarUnreadyDeadline { get; init; } = LocalClusterOptions.DefaultSidecarUnreadyDeadline;
}
