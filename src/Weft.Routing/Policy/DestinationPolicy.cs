namespace Weft.Routing.Policy;

/// <summary>
/// Everything a proxy needs to send traffic from a workload in <see cref="ClientNamespace"/> to one Service frontend port:
/// the compiled product of the GAMMA rules, self-contained and serialisable (the discovery API carries it as JSON).
/// The proxy never sees Kubernetes objects; it builds a <c>RouteTable</c> from this.
/// </summary>
public sealed record DestinationPolicy
{
    public required string ClientNamespace { get; init; }
    public required string ServiceNamespace { get; init; }

    /// <summary>The Service addressed; "" for a pod IP (gamma-spec A7: the backend facet, no Service addressed; its namespace is the pod's).</summary>
    public required string ServiceName { get; init; }

    /// <summary>The Service port (spec.ports[].port) the traffic was addressed to.</summary>
    public required int Port { get; init; }

    /// <summary>How the proxy must treat the port's traffic: http, grpc, tcp, tls or opaque (no route, no HTTP appProtocol).</summary>
    public required string Protocol { get; init; }

    /// <summary>Which group of routes applied (gamma-spec B3): none, consumer or producer.</summary>
    public required string View { get; init; }

    /// <summary>
    /// HTTP or gRPC rules, already in precedence order (gamma-spec E1 / K1): the first rule whose match succeeds wins.
    /// Non-empty means a request matching none of them gets 404 (C2). HTTPRoute and GRPCRoute rules are never mixed (D1).
    /// </summary>
    public IReadOnlyList<RulePolicy> Rules { get; init; } = [];

    /// <summary>TCPRoute / TLSRoute rules (one per route, TLS ones carrying SNI hostnames), in precedence order.</summary>
    public IReadOnlyList<L4RulePolicy> L4Rules { get; init; } = [];

    /// <summary>When no route applies (gamma-spec C1): plain forwarding to this Service's own endpoints.</summary>
    public BackendPolicy? DefaultBackend { get; init; }

    /// <summary>
    /// Whether this is the policy of an external host an XBackend declares (issue 17, <c>MeshModel</c>'s declared hosts):
    /// no Service, no route, its one backend external. Derived, not sent.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool DeclaresExternalHost => View == PolicyView.None && Rules.Count == 0 && L4Rules.Count == 0 && DefaultBackend?.External is not null;
}

public static class PolicyProtocol
{
    public const string Http = "http";
    public const string Grpc = "grpc";
    public const string Tcp = "tcp";
    public const string Tls = "tls";
    public const string Opaque = "opaque";

    /// <summary>
    /// Whether the proxy tunnels a connection to a port of this protocol without reading it (a TCPRoute or TLSRoute
    /// port, or any port for an l4 client), deciding by <see cref="Planning.ConnectionPlanner"/>; any other port's HTTP
    /// requests are planned one by one by <see cref="Planning.RequestPlanner"/>.
    /// </summary>
    public static bool IsTunnelled(string protocol) => protocol is Tcp or Tls;
}

public static class PolicyView
{
    public const string None = "none";
    public const string Consumer = "consumer";
    public const string Producer = "producer";
}

/// <summary>Where a rule came from, for metrics, status and <c>weft explain</c>.</summary>
public sealed record RuleOrigin
{
    public required string RouteKind { get; init; }
    public required string RouteNamespace { get; init; }
    public required string RouteName { get; init; }
    public required int RuleIndex { get; init; }
    public string? RuleName { get; init; }
    public required int MatchIndex { get; init; }
}

/// <summary>One (rule, match) pair: HTTP rules with several matches are flattened into one entry per match, ordered by precedence.</summary>
public sealed record RulePolicy
{
    public required RuleOrigin Origin { get; init; }
    public required MatchPolicy Match { get; init; }
    public IReadOnlyList<FilterPolicy> Filters { get; init; } = [];
    public IReadOnlyList<BackendPolicy> Backends { get; init; } = [];
    public TimeoutPolicy? Timeouts { get; init; }
    public RetryPolicy? Retry { get; init; }
}

public sealed record MatchPolicy
{
    /// <summary>Exact, PathPrefix or RegularExpression; null for gRPC rules.</summary>
    public string? PathType { get; init; }
    public string? PathValue { get; init; }
    public string? Method { get; init; }
    public IReadOnlyList<ValueMatchPolicy> Headers { get; init; } = [];
    public IReadOnlyList<ValueMatchPolicy> QueryParams { get; init; } = [];

    /// <summary>gRPC: Exact or RegularExpression, with service and/or method.</summary>
    public string? GrpcType { get; init; }
    public string? GrpcService { get; init; }
    public string? GrpcMethod { get; init; }
}

public sealed record ValueMatchPolicy
{
    public required string Type { get; init; }
    public required string Name { get; init; }
    public required string Value { get; init; }
}

public static class FilterKind
{
    public const string RequestHeaderModifier = "RequestHeaderModifier";
    public const string ResponseHeaderModifier = "ResponseHeaderModifier";
    public const string RequestRedirect = "RequestRedirect";
    public const string UrlRewrite = "URLRewrite";
    public const string RequestMirror = "RequestMirror";
    public const string Cors = "CORS";
}

public sealed record HeaderValuePolicy
{
    public required string Name { get; init; }
    public required string Value { get; init; }
}

public sealed record HeaderModifierPolicy
{
    public IReadOnlyList<HeaderValuePolicy> Set { get; init; } = [];
    public IReadOnlyList<HeaderValuePolicy> Add { get; init; } = [];
    public IReadOnlyList<string> Remove { get; init; } = [];
}

public sealed record PathModifierPolicy
{
    /// <summary>ReplaceFullPath or ReplacePrefixMatch.</summary>
    public required string Type { get; init; }
    public required string Value { get; init; }

    /// <summary>For ReplacePrefixMatch: the rule's PathPrefix match value being replaced.</summary>
    public string? MatchedPrefix { get; init; }
}

public sealed record RedirectPolicy
{
    public string? Scheme { get; init; }
    public string? Hostname { get; init; }
    public PathModifierPolicy? Path { get; init; }
    public int? Port { get; init; }
    public int StatusCode { get; init; } = 302;
}

public sealed record RewritePolicy
{
    public string? Hostname { get; init; }
    public PathModifierPolicy? Path { get; init; }
}

public sealed record MirrorPolicy
{
    public required BackendPolicy Backend { get; init; }

    /// <summary>Share of requests mirrored, 0..1 (from percent or fraction).</summary>
    public double Share { get; init; } = 1.0;
}

public sealed record CorsPolicy
{
    public IReadOnlyList<string> AllowOrigins { get; init; } = [];
    public IReadOnlyList<string> AllowMethods { get; init; } = [];
    public IReadOnlyList<string> AllowHeaders { get; init; } = [];
    public IReadOnlyList<string> ExposeHeaders { get; init; } = [];
    public bool AllowCredentials { get; init; }
    public int MaxAge { get; init; } = 5;
}

/// <summary>One filter, in list order (gamma-spec G3). Exactly one payload is set, matching <see cref="Kind"/>.</summary>
public sealed record FilterPolicy
{
    public required string Kind { get; init; }
    public HeaderModifierPolicy? Headers { get; init; }
    public RedirectPolicy? Redirect { get; init; }
    public RewritePolicy? Rewrite { get; init; }
    public MirrorPolicy? Mirror { get; init; }
    public CorsPolicy? Cors { get; init; }
}

/// <summary>
/// A weighted backend. When <see cref="Invalid"/> is set (gamma-spec F4) its share of traffic gets 500 (HTTP) or UNAVAILABLE (gRPC)
/// or a rejected connection (L4). Weight-0 entries are dropped at compile time (F2).
/// </summary>
public sealed record BackendPolicy
{
    public required string Namespace { get; init; }

    /// <summary>The Service or XBackend; "" for a pod IP's own endpoint, which no backend object names (gamma-spec A7).</summary>
    public required string Name { get; init; }

    public required int Port { get; init; }
    public int Weight { get; init; } = 1;

    /// <summary>The reason (InvalidKind, BackendNotFound, RefNotPermitted, UnsupportedProtocol) this backend cannot be used, or null.</summary>
    public string? Invalid { get; init; }

    /// <summary>A <see cref="BackendAppProtocol"/>: http, http2 (h2c / grpc appProtocol) or tcp; how to talk to the endpoints.</summary>
    public string AppProtocol { get; init; } = BackendAppProtocol.Http;

    /// <summary>Ready endpoints of the backend Service for this port (targetPort resolved). Empty means 503, unless <see cref="External"/> is set.</summary>
    public IReadOnlyList<EndpointPolicy> Endpoints { get; init; } = [];

    /// <summary>A backend outside the cluster (XBackend): its addresses are resolved by the proxy at request time.</summary>
    public ExternalBackendPolicy? External { get; init; }

    /// <summary>
    /// TLS the proxy originates to each endpoint of this Service backend (a BackendTLSPolicy targets its port): the app
    /// sends plaintext; to an endpoint with a sidecar the TLS bytes travel inside the mTLS hop as an opaque stream.
    /// </summary>
    public TlsOriginationPolicy? Tls { get; init; }

    /// <summary>
    /// The retry budget of this backend from an XBackendTrafficPolicy (GEP-3388) in place of the built-in one; retries
    /// beyond it get 503. Null: the built-in budget of the destination.
    /// </summary>
    public RetryBudgetPolicy? RetryBudget { get; init; }

    /// <summary>
    /// Session persistence from an XBackendTrafficPolicy (GEP-1619 for a backend): a client that presents the cookie or
    /// header the proxy issued keeps reaching the same endpoint while it stays ready. Null: none.
    /// </summary>
    public SessionPersistencePolicy? SessionPersistence { get; init; }

    /// <summary>Backend-level filters (gamma-spec G5), run only when this backend is picked.</summary>
    public IReadOnlyList<FilterPolicy> Filters { get; init; } = [];

    /// <summary>
    /// The backend as people read it in answers and explanations: <c>namespace/name:port</c>, or <c>namespace/name</c>
    /// when no port is known (a backendRef without one to an XBackend that does not exist); a pod IP's own endpoint,
    /// which has no name, as <c>pod namespace/name port N</c> (or <c>pod IP address port N</c> when the pod is not known).
    /// </summary>
    public string Display()
    {
        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Name.Length == 0 && Endpoints is [var pod]
            ? (pod.Pod is { } named ? $"pod {named} port {port}" : $"pod IP {pod.Address} port {port}")
            : Port == 0 ? $"{Namespace}/{Name}" : $"{Namespace}/{Name}:{port}";
    }
}

public sealed record EndpointPolicy
{
    public required string Address { get; init; }
    public required int Port { get; init; }

    /// <summary>The pod behind the endpoint, "namespace/name", when known.</summary>
    public string? Pod { get; init; }

    /// <summary>SPIFFE identity expected of the endpoint's sidecar, when known.</summary>
    public string? Identity { get; init; }

    /// <summary>
    /// The workload of the pod behind the endpoint, when known: its Deployment (or other controller), else the pod's name
    /// (<see cref="WorkloadName"/>). The client's sidecar labels its metrics with it.
    /// </summary>
    public string? Workload { get; init; }
}

/// <summary>GEP-1742, parsed: null means unset, zero means disabled.</summary>
public sealed record TimeoutPolicy
{
    public TimeSpan? Request { get; init; }
    public TimeSpan? BackendRequest { get; init; }
}

/// <summary>GEP-1731 (gamma-spec J).</summary>
public sealed record RetryPolicy
{
    public IReadOnlyList<int> Codes { get; init; } = [];

    /// <summary>The maximum number of retries after the first try (not the total number of tries); 1 when the route leaves it unset.</summary>
    public int Attempts { get; init; } = 1;
    public TimeSpan? Backoff { get; init; }

    /// <summary>
    /// gRPC status codes (numeric, see <c>GrpcStatusCodes</c>) that are retried, from the GRPCRoute annotation
    /// <c>retry.weft.dev/grpc-codes</c> (docs/resilience.md); empty when none.
    /// </summary>
    public IReadOnlyList<int> GrpcCodes { get; init; } = [];
}

public sealed record L4RulePolicy
{
    public required RuleOrigin Origin { get; init; }

    /// <summary>TLSRoute SNI hostnames (exact or "*." wildcard); empty for TCPRoute.</summary>
    public IReadOnlyList<string> Hostnames { get; init; } = [];
    public IReadOnlyList<BackendPolicy> Backends { get; init; } = [];
}

/// <summary>
/// GEP-3388 <c>retryConstraint</c>, parsed: retries may be <see cref="Percent"/> of all requests (retries included) over
/// <see cref="Interval"/>, and never fewer than <see cref="MinRetryCount"/> per <see cref="MinRetryInterval"/>.
/// </summary>
public sealed record RetryBudgetPolicy
{
    public required int Percent { get; init; }

    public required TimeSpan Interval { get; init; }

    public required int MinRetryCount { get; init; }

    public required TimeSpan MinRetryInterval { get; init; }

    /// <summary>Where it came from, for the 503's words and <c>weft explain</c>: "XBackendTrafficPolicy ns/name".</summary>
    public required string Source { get; init; }
}

/// <summary>
/// GEP-1619 session persistence, parsed: the token travels in a cookie or a header (<see cref="Type"/>) named
/// <see cref="Name"/>; it pins for at most <see cref="AbsoluteTimeout"/> (null: while the endpoint stays ready), and a
/// <see cref="Permanent"/> cookie outlives the browser session (Max-Age).
/// </summary>
public sealed record SessionPersistencePolicy
{
    public const string Cookie = "Cookie";
    public const string Header = "Header";

    public required string Type { get; init; }

    public required string Name { get; init; }

    public TimeSpan? AbsoluteTimeout { get; init; }

    public bool Permanent { get; init; }

    /// <summary>Where it came from: "XBackendTrafficPolicy ns/name".</summary>
    public required string Source { get; init; }
}
