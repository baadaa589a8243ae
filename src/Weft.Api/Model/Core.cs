namespace Weft.Api.Model;

public sealed record Namespace : KubeObject
{
    public override string Kind => "Namespace";
}

public sealed record ServiceAccount : KubeObject
{
    public override string Kind => "ServiceAccount";
}

/// <summary>
/// A ConfigMap: Weft reads its <c>data</c> for the CA bundles that BackendTLSPolicy and XBackend <c>tls.validation</c>
/// name (key <c>ca.crt</c>); <c>binaryData</c> is not read.
/// </summary>
public sealed record ConfigMap : KubeObject
{
    public const string CaCertificateKey = "ca.crt";

    public override string Kind => "ConfigMap";

    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();
}

/// <summary>An int-or-string field such as a Service port's targetPort.</summary>
public readonly record struct IntOrString(int? Number, string? Text)
{
    public static IntOrString Of(int n) => new(n, null);
    public static IntOrString Of(string s) => new(null, s);
    public override string ToString() => Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Text ?? "";
}

public sealed record ServicePort
{
    public string? Name { get; init; }
    public string Protocol { get; init; } = "TCP";
    public required int Port { get; init; }

    /// <summary>Defaults to <see cref="Port"/> when unset, as the API server does.</summary>
    public IntOrString TargetPort { get; init; }
    public string? AppProtocol { get; init; }
}

public sealed record ServiceSpec
{
    /// <summary>ClusterIP, NodePort, LoadBalancer or ExternalName.</summary>
    public string Type { get; init; } = "ClusterIP";

    /// <summary>Null when unset (allocated), "None" for a headless Service.</summary>
    public string? ClusterIP { get; init; }
    public IReadOnlyList<string> ClusterIPs { get; init; } = [];
    public IReadOnlyDictionary<string, string>? Selector { get; init; }
    public IReadOnlyList<ServicePort> Ports { get; init; } = [];
    public string? ExternalName { get; init; }
}

public sealed record Service : KubeObject
{
    public override string Kind => "Service";
    public required ServiceSpec Spec { get; init; }

    public bool IsHeadless => Spec.ClusterIP == "None";
}

public sealed record EndpointConditions
{
    public bool? Ready { get; init; }
    public bool? Serving { get; init; }
    public bool? Terminating { get; init; }
}

public sealed record ObjectReference
{
    public string? Kind { get; init; }
    public string? Namespace { get; init; }
    public string? Name { get; init; }
}

public sealed record Endpoint
{
    public IReadOnlyList<string> Addresses { get; init; } = [];
    public EndpointConditions Conditions { get; init; } = new();
    public string? Hostname { get; init; }
    public string? NodeName { get; init; }
    public ObjectReference? TargetRef { get; init; }
}

public sealed record EndpointPort
{
    public string? Name { get; init; }
    public int? Port { get; init; }
    public string Protocol { get; init; } = "TCP";
    public string? AppProtocol { get; init; }
}

public sealed record EndpointSlice : KubeObject
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public override string Kind => "EndpointSlice";
    public string AddressType { get; init; } = "IPv4";
    public IReadOnlyList<Endpoint> Endpoints { get; init; } = [];
    public IReadOnlyList<EndpointPort> Ports { get; init; } = [];

    /// <summary>The Service this slice belongs to, from the kubernetes.io/service-name label.</summary>
    public string? ServiceName => Metadata.Labels.TryGetValue(ServiceNameLabel, out var s) ? s : null;

    /// <summary>That Service's key (namespace/name, as <see cref="KubeObject.Key"/>); null for a slice of no Service.</summary>
    public string? ServiceKey => ServiceName is { } s ? $"{Namespace}/{s}" : null;
}

public sealed record ContainerPort
{
    public string? Name { get; init; }
    public required int Port { get; init; }
    public string Protocol { get; init; } = "TCP";
}

public sealed record EnvVar
{
    public required string Name { get; init; }
    public string? Value { get; init; }
}

public sealed record Container
{
    public required string Name { get; init; }
    public string? Image { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];
    public IReadOnlyList<string> Args { get; init; } = [];
    public IReadOnlyList<ContainerPort> Ports { get; init; } = [];
    public IReadOnlyList<EnvVar> Env { get; init; } = [];
}

public sealed record PodSpec
{
    /// <summary>What the API server defaults <see cref="TerminationGracePeriodSeconds"/> to.</summary>
    public const long DefaultTerminationGracePeriodSeconds = 30;

    public string ServiceAccountName { get; init; } = "default";
    public IReadOnlyList<Container> Containers { get; init; } = [];

    /// <summary>
    /// How long the pod's containers have, from SIGTERM, before they are killed when the pod stops; null when unset, which
    /// the API server defaults to <see cref="DefaultTerminationGracePeriodSeconds"/>. 0 kills at once; a negative one is
    /// taken as 1 (<see cref="GracePeriod"/>).
    /// </summary>
    public long? TerminationGracePeriodSeconds { get; init; }

    /// <summary>The grace period of a pod stopped not through the API (a rollout, a scale-down): its own, or the default.</summary>
    public TimeSpan TerminationGracePeriod => GracePeriod(TerminationGracePeriodSeconds ?? DefaultTerminationGracePeriodSeconds);

    /// <summary>The longest grace period waited (a timer's longest, about 49.7 days); a longer one is taken as this.</summary>
    public static readonly TimeSpan MaxGracePeriod = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>
    /// A grace period in seconds (a spec's <c>terminationGracePeriodSeconds</c>, a delete's) as it is waited: a negative one
    /// as 1 s, as the API server takes it (it accepts one with a warning, "will be treated as 1"); one longer than
    /// <see cref="MaxGracePeriod"/> as that, where any int64 is a valid value.
    /// </summary>
    public static TimeSpan GracePeriod(long seconds) =>
        seconds < 0 ? TimeSpan.FromSeconds(1) : seconds > (long)MaxGracePeriod.TotalSeconds ? MaxGracePeriod : TimeSpan.FromSeconds(seconds);
}

public sealed record PodTemplate
{
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
    public required PodSpec Spec { get; init; }
}

public sealed record Deployment : KubeObject
{
    public override string Kind => "Deployment";
    public int Replicas { get; init; } = 1;
    public IReadOnlyDictionary<string, string> SelectorMatchLabels { get; init; } = new Dictionary<string, string>();
    public required PodTemplate Template { get; init; }
}

public sealed record Pod : KubeObject
{
    public override string Kind => "Pod";
    public required PodSpec Spec { get; init; }
    public string? PodIP { get; init; }

    /// <summary>
    /// The service account the pod runs as: <c>default</c> when its spec names none, as the API server defaults it. What
    /// its SPIFFE identity names, and what a workload token or certificate for it must name.
    /// </summary>
    public string ServiceAccount => string.IsNullOrEmpty(Spec.ServiceAccountName) ? "default" : Spec.ServiceAccountName;
}
