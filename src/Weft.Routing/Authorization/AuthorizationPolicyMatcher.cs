namespace Weft.Routing.Authorization;

/// <summary>One compiled <see cref="AuthorizationPolicyEntry"/>: its scope (null: the whole workload) and its rules, in order.</summary>
internal sealed class AuthorizationPolicyMatcher(string display, bool deny, AuthorizationScopeMatcher? scope, AuthorizationRuleMatcher[] rules)
{
    /// <summary>"namespace/name", as decisions and metrics name the policy.</summary>
    public string Display { get; } = display;
    public bool Deny { get; } = deny;
    public AuthorizationScopeMatcher? Scope { get; } = scope;
    public AuthorizationRuleMatcher[] Rules { get; } = rules;

    /// <summary>
    /// Whether the request or connection is in the policy's scope. An L4 connection carries no request to match a route
    /// rule against: it is in a route target's scope when its port is (so a route's DENY applies to it, and a route's
    /// ALLOW, whose HTTP rules cannot match it, does not let it in).
    /// </summary>
    public bool Applies<THeaders>(in AuthorizationInput input, in THeaders headers)
        where THeaders : Matching.IHeaderLookup =>
        Scope is null || (input.IsL7 ? Scope.Covers(input, headers) : Scope.CoversPort(input.Port));
}
