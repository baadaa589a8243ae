using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.ControlPlane.Injection;

/// <summary>What the injector adds to a pod: whose image, which control plane, which capture rules.</summary>
public sealed record InjectorOptions
{
    /// <summary>The image of the init and sidecar containers (<c>weft</c> and <c>weft-proxy</c> in one).</summary>
    public required string Image { get; init; }

    /// <summary>The Weft version recorded in <see cref="WeftInstallation.InjectedAnnotation"/>.</summary>
    public required string Version { get; init; }

    /// <summary>Where sidecars reach discovery: <c>https://weft-controller.weft-system.svc:8090</c> in a cluster.</summary>
    public required Uri ControlPlane { get; init; }

    /// <summary><c>weft init</c>'s arguments, the verb first (the capture rules; the CLI spells them from its defaults).</summary>
    public required IReadOnlyList<string> InitArguments { get; init; }

    /// <summary>
    /// The level of a pod that neither it nor its namespace names: <c>off</c> for the webhook (a cluster opts in), <c>l7</c>
    /// for <c>weft inject</c> and <c>weft up</c> (what they are given is meant to be meshed).
    /// </summary>
    public string DefaultLevel { get; init; } = MeshLevels.Off;

    /// <summary>The mTLS mode of a pod that neither it nor its namespace names (<c>weft.dev/mtls</c>).</summary>
    public string DefaultMtls { get; init; } = MeshLevels.MtlsStrict;

    /// <summary>
    /// The mesh's tracing (collector and sampling rate) for pods whose annotations do not override it
    /// (<see cref="Weft.Routing.Tracing.TracingSettings.CollectorAnnotation"/>, <see cref="Weft.Routing.Tracing.TracingSettings.SamplingAnnotation"/>).
    /// </summary>
    public Weft.Routing.Tracing.TracingSettings Tracing { get; init; } = Weft.Routing.Tracing.TracingSettings.Off;

    /// <summary>The ConfigMap (in the pod's namespace) whose <c>ca.crt</c> the sidecar trusts for the control plane.</summary>
    public string TrustBundleConfigMap { get; init; } = WeftInstallation.TrustBundleConfigMapName;

    /// <summary>The audience of the sidecar's projected service-account token (checked by the controller's TokenReview).</summary>
    public string TokenAudience { get; init; } = WeftInstallation.TokenAudience;

    /// <summary>Seconds the projected token lives (the kubelet refreshes it at 80%).</summary>
    public long TokenExpirationSeconds { get; init; } = 3600;

    /// <summary>The uid and gid the sidecar runs as: the ones the capture rules spare.</summary>
    public long ProxyUid { get; init; } = MeshPorts.SidecarUid;

    public int AdminPort { get; init; } = MeshPorts.Admin;

    public int OutboundPort { get; init; } = MeshPorts.Outbound;

    public int InboundPort { get; init; } = MeshPorts.Inbound;

    /// <summary>The injector's options for a controller in <paramref name="namespace"/> with this image and version.</summary>
    public static InjectorOptions ForCluster(string @namespace, string image, string version, IReadOnlyList<string> initArguments) => new()
    {
        Image = image,
        Version = version,
        ControlPlane = new Uri($"https://{WeftInstallation.ControllerHost(@namespace)}:{WeftInstallation.ControllerPort}"),
        InitArguments = initArguments,
    };
}
