using Weft.Api.Model;

namespace Weft.Routing.Authorization;

/// <summary>
/// An AuthorizationPolicy's status as Weft writes it (GEP-713 policy status): one <c>status.ancestors[]</c> entry per
/// targetRef, with Weft's controller name and the conditions (Accepted, ResolvedRefs) that say whether and why it applies.
/// </summary>
public sealed record AuthorizationPolicyStatus(string Namespace, string Name, long Generation, IReadOnlyList<AuthorizationTargetStatus> Targets);

/// <summary>One targetRef's conditions; <see cref="Pods"/> lists the pods ("namespace/name") it applies to.</summary>
public sealed record AuthorizationTargetStatus(AuthorizationTargetReference TargetRef, string ControllerName, IReadOnlyList<RouteCondition> Conditions, IReadOnlyList<string> Pods);

/// <summary>Condition reasons Weft writes on AuthorizationPolicies (types are <see cref="RouteConditions.Accepted"/> and <see cref="RouteConditions.ResolvedRefs"/>).</summary>
public static class AuthorizationConditions
{
    public const string Accepted = "Accepted";
    public const string ResolvedRefs = "ResolvedRefs";

    /// <summary>The named Service or route does not exist in the policy's namespace.</summary>
    public const string TargetNotFound = "TargetNotFound";

    /// <summary>The target exists but selects no pod (a selector matching nothing, a Service without pods, a route without backends there).</summary>
    public const string NoMatchingWorkloads = "NoMatchingWorkloads";

    /// <summary>A rule uses HTTP or gRPC properties and a targeted workload is at level l4 (its sidecar does not parse HTTP).</summary>
    public const string L7RuleOnL4Workload = "L7RuleOnL4Workload";

    /// <summary>A targetRef of a kind Weft does not support, or in another namespace.</summary>
    public const string InvalidTarget = "InvalidTarget";

    /// <summary>The policy as stored is not valid (the loader refused it), so it applies to nothing (GEP-713 <c>PolicyReasonInvalid</c>).</summary>
    public const string Invalid = "Invalid";
}
