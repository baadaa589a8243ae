using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// What a running <c>weft up</c> publishes for <c>weft curl</c>, <c>weft status</c> and tests: written as JSON to its
/// state file (see <see cref="StateFile"/>) whenever pods or Services change.
/// </summary>
internal sealed record MeshState
{
    /// <summary>The <c>weft up</c> process, so readers can tell a live state file from a stale one.</summary>
    public required int Pid { get; init; }

    public required string ManifestDirectory { get; init; }

    /// <summary>The discovery server, e.g. <c>https://127.0.0.1:41234</c>.</summary>
    public required string ControlPlane { get; init; }

    /// <summary>The PEM roots <see cref="ControlPlane"/>'s certificate chains to (in the state directory); null with <c>--kubeconfig</c>.</summary>
    public string? ControlPlaneCa { get; init; }

    /// <summary>
    /// The control plane's admin credential file (owner-only, in the state directory), which <c>weft status</c> presents
    /// to read status; null with <c>--kubeconfig</c>.
    /// </summary>
    public string? AdminCredential { get; init; }

    /// <summary>With <c>weft up --kubeconfig</c>: the kubeconfig (full path) of the API server the mesh is recorded in; else null.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>The kubeconfig context, when one was named.</summary>
    public string? KubeContext { get; init; }

    /// <summary>With <c>--kubeconfig</c>: the controller's namespace (its trust bundle ConfigMap, its Service name).</summary>
    public string? KubeNamespace { get; init; }

    /// <summary>The run's address block, e.g. <c>127.23.0.0/16</c>, or its pod and Service ranges in network namespaces.</summary>
    public required string AddressBlock { get; init; }

    /// <summary>How pods are isolated: <c>netns</c> (a network namespace each, traffic captured) or <c>process</c>.</summary>
    public string Isolation { get; init; } = IsolationNames.Process;

    /// <summary>The pods' addresses (a CIDR).</summary>
    public string? PodCidr { get; init; }

    /// <summary>The Services' ClusterIPs (a CIDR).</summary>
    public string? ServiceCidr { get; init; }

    /// <summary>The pods' DNS server (network namespaces only).</summary>
    public string? Nameserver { get; init; }

    /// <summary>
    /// The mTLS mode of pods without a <c>weft.dev/mtls</c> label or annotation of their own or their namespace's
    /// (<c>weft up --mtls-default</c>: <c>strict</c> or <c>permissive</c>); null in a state file written before it was recorded.
    /// </summary>
    public string? MtlsDefault { get; init; }

    /// <summary>
    /// The default inbound policy of workloads without an AuthorizationPolicy ALLOW and without a
    /// <c>weft.dev/default-inbound-policy</c> setting of their own or their namespace's (<c>weft up --default-inbound-policy</c>,
    /// canonical); null in a state file written before it was recorded.
    /// </summary>
    public string? DefaultInboundPolicy { get; init; }

    /// <summary>
    /// The outbound policy of workloads without a <c>weft.dev/outbound-policy</c> setting of their own or their namespace's
    /// (<c>weft up --default-outbound-policy</c>, canonical); null in a state file written before it was recorded.
    /// </summary>
    public string? DefaultOutboundPolicy { get; init; }

    /// <summary>True when every pod is ready.</summary>
    public required bool Ready { get; init; }

    public required DateTimeOffset Updated { get; init; }

    public IReadOnlyList<ServiceState> Services { get; init; } = [];

    public IReadOnlyList<PodState> Pods { get; init; } = [];
}

internal sealed record ServiceState
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public string? ClusterIP { get; init; }
    public IReadOnlyList<ServicePortState> Ports { get; init; } = [];
}

internal sealed record ServicePortState
{
    public string? Name { get; init; }
    public required int Port { get; init; }
    public required string TargetPort { get; init; }
    public string? AppProtocol { get; init; }
}

internal sealed record PodState
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }

    /// <summary>The Deployment that owns the pod.</summary>
    public required string Deployment { get; init; }

    public required string IP { get; init; }
    public required bool Ready { get; init; }
    public required string ServiceAccount { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public required SidecarPorts Sidecar { get; init; }

    /// <summary>Whether the pod has a sidecar (its <c>weft.dev/mesh</c> level is not <c>off</c>).</summary>
    public bool HasSidecar { get; init; } = true;

    /// <summary>The pod's mesh level (<c>off</c>, <c>l4</c>, <c>l7</c>) and, with a sidecar, its mTLS mode (<c>strict</c>, <c>permissive</c>), as its sidecar runs them; null in a state file written before they were recorded.</summary>
    public string? Level { get; init; }

    /// <inheritdoc cref="Level"/>
    public string? Mtls { get; init; }

    /// <summary>The pod's network namespace (<c>ip netns</c> name) in network-namespace isolation.</summary>
    public string? Netns { get; init; }

    /// <summary>The environment of the pod's first app container (what <c>weft exec</c> gives a command).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Why the pod is not ready or not running, when it is not.</summary>
    public string? Problem { get; init; }
}

/// <summary>The sidecar's listeners on the pod IP (the outbound one on 127.0.0.1 when the pod's traffic is captured).</summary>
internal sealed record SidecarPorts(int Outbound, int Inbound, int Admin)
{
    public static readonly SidecarPorts Default = new(MeshPorts.Outbound, MeshPorts.Inbound, MeshPorts.Admin);

    public bool Contains(int port) => port == Outbound || port == Inbound || port == Admin;

    /// <summary>"outbound", "inbound" or "admin".</summary>
    public string NameOf(int port) => port == Outbound ? "outbound" : port == Inbound ? "inbound" : port == Admin ? "admin" : "";
}
