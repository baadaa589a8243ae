namespace Weft.Routing.Authorization;

/// <summary>One compiled <see cref="AuthorizationPolicyEntry"/>: its scope (null: the whole workload) and its rules, in order.</summary>
internal sealed class AuthorizationPolicyMatcher(string display, bool deny, AuthorizationScopeMatcher? scope, AuthorizationRuleMatcher[] rules, int allowIndex)
{
    /// <summary>"namespace/name", as decisions and metrics name the policy.</summary>
    public string Display { get; } = display;
    public bool Deny { get; } = deny;
    public AuthorizationScopeMatcher? Scope { get; } = scope;
    public AuthorizationRuleMatcher[] Rules { get; } = rules;

    /// <summary>For an ALLOW policy, its position among the table's distinct ALLOW policy names (for the NotAllowed reason).</summary>
    public int AllowIndex { get; } = allowIndex;

    public bool Applies<THeaders>(in AuthorizationInput input, in THeaders headers)
        where THeaders : Matching.IHeaderLookup =>
        Scope is null || ((input.IsL7 || !Scope.HasMatches) && Scope.Covers(input, headers));
}
