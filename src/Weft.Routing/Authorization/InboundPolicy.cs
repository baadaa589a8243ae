using Weft.Routing.Policy;

namespace Weft.Routing.Authorization;

/// <summary>
/// What one workload (pod) admits, compiled by <see cref="MeshModel.CompileInbound"/> and sent by discovery to that pod's
/// sidecar, which decides each inbound request and connection with <see cref="AuthorizationPlanner"/>. Immutable;
/// serialised by <see cref="InboundPolicyJson"/> (deterministic for equal policies).
/// </summary>
public sealed record InboundPolicy
{
    public required string Namespace { get; init; }
    public required string Pod { get; init; }
    public required string ServiceAccount { get; init; }

    /// <summary>The mesh trust domain: identities outside it match no ServiceAccount source and no default but all-unauthenticated.</summary>
    public required string TrustDomain { get; init; }

    /// <summary>The workload's opt-in level (<see cref="MeshLevels"/>).</summary>
    public string Level { get; init; } = MeshLevels.L7;

    /// <summary>One of <see cref="DefaultInboundPolicies.All"/>.</summary>
    public required string DefaultPolicy { get; init; }

    /// <summary>The accepted AuthorizationPolicies that apply to this workload: DENY ones first, each group by name.</summary>
    public IReadOnlyList<AuthorizationPolicyEntry> Policies { get; init; } = [];
}

/// <summary>One AuthorizationPolicy as it applies to one workload.</summary>
public sealed record AuthorizationPolicyEntry
{
    /// <summary>The policy's name (its namespace is the workload's).</summary>
    public required string Name { get; init; }

    /// <summary><see cref="Weft.Api.Model.AuthorizationAction"/>: ALLOW or DENY.</summary>
    public required string Action { get; init; }

    /// <summary>Null: every request and connection to the workload; else only those in scope.</summary>
    public AuthorizationScope? Scope { get; init; }

    public IReadOnlyList<AuthorizationRulePolicy> Rules { get; init; } = [];
}

/// <summary>
/// Which requests a Service- or route-targeted policy covers at this workload: those sent to one of <see cref="Ports"/>
/// (the pod's ports; empty = any) and, for a route target, matching one of <see cref="Matches"/> (the route rule's
/// matches, evaluated on the request as it arrives; empty = any). A connection (L4) is in scope when its port is, and
/// the policy has no <see cref="Matches"/>.
/// </summary>
public sealed record AuthorizationScope
{
    /// <summary>"Service", "HTTPRoute" or "GRPCRoute": what the policy targeted.</summary>
    public required string TargetKind { get; init; }
    public required string TargetName { get; init; }
    public string? SectionName { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<MatchPolicy> Matches { get; init; } = [];
}

/// <summary>One rule of a policy, its parts ANDed. Empty lists mean "any"; <see cref="Sources"/> null is any source.</summary>
public sealed record AuthorizationRulePolicy
{
    /// <summary>The rule's index in <c>spec.rules</c>.</summary>
    public required int Index { get; init; }

    /// <summary>Null: any source (even unauthenticated); empty: none; else any of the list.</summary>
    public IReadOnlyList<AuthorizationSourcePolicy>? Sources { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>Path matches: <see cref="ValueMatchPolicy.Type"/> Exact, PathPrefix or RegularExpression, <see cref="ValueMatchPolicy.Name"/> empty.</summary>
    public IReadOnlyList<ValueMatchPolicy> Paths { get; init; } = [];
    public IReadOnlyList<ValueMatchPolicy> Headers { get; init; } = [];
    public string? GrpcService { get; init; }
    public string? GrpcMethod { get; init; }

    /// <summary>Whether the rule looks at HTTP or gRPC properties (an L4 connection matches it only for DENY, ignoring them).</summary>
    public bool HasL7 => Methods.Count > 0 || Paths.Count > 0 || Headers.Count > 0 || GrpcService is not null || GrpcMethod is not null;
}

/// <summary>A source: a SPIFFE ID exactly, or the SPIFFE IDs of a service account (<see cref="ServiceAccount"/> "*": of a namespace).</summary>
public sealed record AuthorizationSourcePolicy
{
    public string? Spiffe { get; init; }
    public string? Namespace { get; init; }
    public string? ServiceAccount { get; init; }
}
