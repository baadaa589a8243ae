namespace Weft.Api.Model;

/// <summary>Weft's own policy API group (<c>policy.weft.dev</c>): kinds Gateway API does not release yet.</summary>
public static class WeftPolicyApi
{
    public const string Group = "policy.weft.dev";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;
}

/// <summary><c>spec.action</c> of an <see cref="AuthorizationPolicy"/>: ALLOW (GEP-3779) or DENY (Weft's extension, evaluated first).</summary>
public static class AuthorizationAction
{
    public const string Allow = "ALLOW";
    public const string Deny = "DENY";
}

/// <summary><c>sources[].type</c> of an <see cref="AuthorizationRule"/> (GEP-3779).</summary>
public static class AuthorizationSourceType
{
    public const string ServiceAccount = "ServiceAccount";
    public const string Spiffe = "SPIFFE";
}

/// <summary>A Kubernetes label selector requirement (<c>matchExpressions[]</c>).</summary>
public sealed record LabelSelectorRequirement
{
    public required string Key { get; init; }

    /// <summary>In, NotIn, Exists or DoesNotExist.</summary>
    public required string Operator { get; init; }
    public IReadOnlyList<string> Values { get; init; } = [];
}

/// <summary>A Kubernetes label selector; an empty one selects everything.</summary>
public sealed record LabelSelector
{
    public IReadOnlyDictionary<string, string> MatchLabels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<LabelSelectorRequirement> MatchExpressions { get; init; } = [];
}

/// <summary>
/// <c>spec.targetRefs[]</c>: the workloads a policy applies to, always in the policy's namespace. A Pod target names its
/// pods by <see cref="Selector"/> (empty: every pod of the namespace); a Service target names the pods behind a Service;
/// an HTTPRoute or GRPCRoute target (with an optional rule name in <see cref="SectionName"/>) the requests that route's
/// rules carry to the pods behind its backends.
/// </summary>
public sealed record AuthorizationTargetReference
{
    public string Group { get; init; } = "";
    public required string Kind { get; init; }
    public string? Name { get; init; }
    public string? SectionName { get; init; }
    public LabelSelector? Selector { get; init; }
}

/// <summary>A <c>ServiceAccount</c> source: <see cref="Name"/> "*" is every service account of <see cref="Namespace"/>.</summary>
public sealed record AuthorizationServiceAccount
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
}

/// <summary>One <c>sources[]</c> entry: a service account, or a SPIFFE ID.</summary>
public sealed record AuthorizationSource
{
    public required string Type { get; init; }
    public AuthorizationServiceAccount? ServiceAccount { get; init; }
    public string? Spiffe { get; init; }
}

/// <summary><c>networkAttributes</c>: the workload's (pod's) ports the request or connection was sent to; empty = any.</summary>
public sealed record AuthorizationNetworkAttributes
{
    public IReadOnlyList<int> Ports { get; init; } = [];
}

/// <summary><c>http</c> (Weft's L7 extension): any of <see cref="Methods"/>, any of <see cref="Paths"/>, all of <see cref="Headers"/> (as in an HTTPRoute match); empty = any.</summary>
public sealed record AuthorizationHttpAttributes
{
    public IReadOnlyList<string> Methods { get; init; } = [];
    public IReadOnlyList<HttpPathMatch> Paths { get; init; } = [];
    public IReadOnlyList<HttpHeaderMatch> Headers { get; init; } = [];
}

/// <summary><c>grpc</c> (Weft's L7 extension): the fully qualified service and the method, each optional.</summary>
public sealed record AuthorizationGrpcAttributes
{
    public string? Service { get; init; }
    public string? Method { get; init; }
}

/// <summary>One <c>rules[]</c> entry: its parts are ANDed.</summary>
public sealed record AuthorizationRule
{
    /// <summary>Null (omitted): any source, authenticated or not; empty: none; else any of the list.</summary>
    public IReadOnlyList<AuthorizationSource>? Sources { get; init; }
    public AuthorizationNetworkAttributes? NetworkAttributes { get; init; }
    public AuthorizationHttpAttributes? Http { get; init; }
    public AuthorizationGrpcAttributes? Grpc { get; init; }
}

public sealed record AuthorizationPolicySpec
{
    public IReadOnlyList<AuthorizationTargetReference> TargetRefs { get; init; } = [];
    public required string Action { get; init; }

    /// <summary>ORed. An ALLOW policy without rules allows nothing; a DENY policy without rules denies nothing.</summary>
    public IReadOnlyList<AuthorizationRule> Rules { get; init; } = [];
}

/// <summary><c>policy.weft.dev/v1alpha1</c> AuthorizationPolicy, with GEP-3779's field names.</summary>
public sealed record AuthorizationPolicy : KubeObject
{
    public const string KindName = "AuthorizationPolicy";

    public override string Kind => KindName;
    public required AuthorizationPolicySpec Spec { get; init; }
}
