namespace Weft.Cli.Local;

/// <summary>What the local cluster needs to run pods.</summary>
internal sealed record LocalClusterOptions
{
    /// <summary>The discovery server the sidecars subscribe to.</summary>
    public required Uri ControlPlane { get; init; }

    /// <summary>Where each process's output goes (<c>&lt;namespace&gt;_&lt;pod&gt;_&lt;container&gt;.log</c>).</summary>
    public required string LogDirectory { get; init; }

    public required ImageMap Images { get; init; }

    /// <summary>The directory the manifests came from: an echo's relative <c>--crt</c>/<c>--key</c> name its files.</summary>
    public string? ManifestDirectory { get; init; }

    /// <summary>The external host names the sidecars resolve themselves (<c>weft-hosts.yaml</c>).</summary>
    public HostsFile Hosts { get; init; } = HostsFile.Empty;

    public WeftLauncher Weft { get; init; } = WeftLauncher.Current();

    /// <summary>Progress lines ("starting pod …", "… ready"); null for none.</summary>
    public TextWriter? Progress { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// How long a running sidecar may fail its liveness check (its <c>/live</c> not 200, or its admin port silent) before it
    /// is restarted, as the kubelet's liveness probe restarts the injected one (issue 15: a listener that stopped accepting).
    /// A sidecar only unready (<c>/ready</c>: say the control plane is away) is not restarted; its pod is unready.
    /// </summary>
    public TimeSpan SidecarUnreadyDeadline { get; init; } = DefaultSidecarUnreadyDeadline;

    /// <summary>The default of <see cref="SidecarUnreadyDeadline"/>: a minute.</summary>
    public static readonly TimeSpan DefaultSidecarUnreadyDeadline = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Issues a pod's workload token (namespace, pod, pod uid, service account), written to its sidecar's token file and
    /// rewritten at 80% of <see cref="TokenLifetime"/>; null: the record provides credentials, or none (mTLS off).
    /// </summary>
    public Func<string, string, string, string, string>? IssueToken { get; init; }

    /// <summary>How long a token from <see cref="IssueToken"/> is valid.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The PEM roots the control plane's serving certificate chains to (the sidecars' <c>--control-plane-ca</c>); null: the record's.</summary>
    public string? ControlPlaneCa { get; init; }

    /// <summary>The mTLS mode of pods and namespaces that do not say (<c>weft up --mtls-default</c>).</summary>
    public global::Weft.Proxy.Security.MtlsMode MtlsDefault { get; init; } = global::Weft.Proxy.Security.MtlsMode.Strict;

    /// <summary>The mesh's tracing, for pods without tracing annotations of their own (<c>weft up --trace-collector</c>).</summary>
    public global::Weft.Routing.Tracing.TracingSettings Tracing { get; init; } = global::Weft.Routing.Tracing.TracingSettings.Off;

    /// <summary>
    /// The node's network when pods are network namespaces (<c>weft up --isolation netns</c>); null for process isolation.
    /// </summary>
    public Netns.NodeNetwork? Node { get; init; }

    /// <summary>
    /// How many pods prepare their sandbox (network, init step: a process start each) at once, so that a Deployment of
    /// hundreds does not start hundreds of init steps on a few cores and time them all out.
    /// </summary>
    public SemaphoreSlim SandboxGate { get; init; } = new(Math.Max(2, Environment.ProcessorCount * 2));

    /// <summary>
    /// Where pods and EndpointSlices are recorded and how sidecars get their credentials; null: the control plane's store
    /// (<see cref="StoreClusterRecord"/>), with tokens from <see cref="IssueToken"/>.
    /// </summary>
    public ClusterRecord? Record { get; init; }
}
