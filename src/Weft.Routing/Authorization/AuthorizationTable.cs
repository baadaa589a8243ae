using System.Collections.Concurrent;
using Weft.Api.Model;
using Weft.Routing.Matching;

namespace Weft.Routing.Authorization;

/// <summary>
/// An <see cref="InboundPolicy"/> compiled for evaluation (regexes built, sources turned into identity matchers, every
/// decision the table can make built once), as <see cref="RouteTable"/> is for a destination policy. Immutable; the
/// sidecar swaps it atomically.
/// </summary>
public sealed class AuthorizationTable
{

    private readonly string _trustDomainPrefix;
    private readonly string _namespacePrefix;
    private readonly AuthorizationDecision _allowedByDefault;
    private readonly AuthorizationDecision _deniedPlaintext;
    private readonly AuthorizationDecision _deniedByDefault;

    private AuthorizationTable(InboundPolicy policy)
    {
        Policy = policy;
        L4Only = policy.Level == MeshLevels.L4;
        if (DefaultInboundPolicies.Parse(policy.DefaultPolicy) is not { } defaultPolicy || defaultPolicy != policy.DefaultPolicy)
        {
            throw new RouteTableException(
                $"default inbound policy \"{policy.DefaultPolicy}\" is not one of {string.Join(", ", DefaultInboundPolicies.All)}");
        }

        if (string.IsNullOrEmpty(policy.TrustDomain))
        {
            throw new RouteTableException("inbound policy has no trust domain");
        }

        _trustDomainPrefix = AuthorizationIdentity.TrustDomainPrefix(policy.TrustDomain);
        _namespacePrefix = AuthorizationIdentity.NamespacePrefix(policy.TrustDomain, policy.Namespace);
        (_allowedByDefault, _deniedPlaintext, _deniedByDefault) = Defaults(policy);

        var deny = new List<AuthorizationPolicyMatcher>();
        var allow = new List<AuthorizationPolicyMatcher>();
        var allowNames = new List<string>();
        foreach (var entry in policy.Policies)
        {
            var display = $"{policy.Namespace}/{entry.Name}";
            var isDeny = entry.Action switch
            {
                AuthorizationAction.Deny => true,
                AuthorizationAction.Allow => false,
                _ => throw new RouteTableException($"AuthorizationPolicy {display}: action \"{entry.Action}\" is not ALLOW or DENY"),
            };
            var what = $"AuthorizationPolicy {display}";
            var scope = entry.Scope is null ? null : new AuthorizationScopeMatcher(entry.Scope, what);
            var rules = new AuthorizationRuleMatcher[entry.Rules.Count];
            for (var i = 0; i < rules.Length; i++)
            {
                var rule = entry.Rules[i];
                var decision = isDeny
                    ? new AuthorizationDecision(AuthorizationVerdict.DeniedByPolicy, display, rule.Index, defaultPolicy, $"denied by DENY policy {display} rule {rule.Index}")
                    : new AuthorizationDecision(AuthorizationVerdict.AllowedByPolicy, display, rule.Index, defaultPolicy, $"allowed by ALLOW policy {display} rule {rule.Index}");
                rules[i] = new AuthorizationRuleMatcher(rule, policy.TrustDomain, $"{what} rules[{rule.Index}]", decision);
            }

            if (!isDeny && !allowNames.Contains(display))
            {
                allowNames.Add(display); // a policy with several scoped targets on this workload has one entry per scope
            }

            (isDeny ? deny : allow).Add(new AuthorizationPolicyMatcher(display, isDeny, scope, rules));
        }

        Deny = [.. deny];
        Allow = [.. allow];
        NotAllowed = BuildNotAllowed(policy, [.. allowNames]);
        AllowPolicies = string.Join(",", allowNames);
    }

    /// <summary>
    /// The ALLOW policies that target the workload, "namespace/name" joined by commas (empty: none): what a
    /// NotAllowedByPolicy decision was not admitted by, as the sidecar's metrics name it.
    /// </summary>
    public string AllowPolicies { get; }

    public InboundPolicy Policy { get; }

    /// <summary>
    /// The workload is at level l4 (<see cref="InboundPolicy.Level"/>): its policy applies at L4 only, whatever a caller
    /// sends (an l7 caller's sidecar sends HTTP, an l4 caller's a tunnelled connection), as its L7RuleOnL4Workload status says.
    /// </summary>
    internal bool L4Only { get; }

    internal AuthorizationPolicyMatcher[] Deny { get; }
    internal AuthorizationPolicyMatcher[] Allow { get; }

    /// <exception cref="RouteTableException">A regex, source, action or default in the policy cannot be compiled.</exception>
    public static AuthorizationTable Build(InboundPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new AuthorizationTable(policy);
    }

    /// <summary>What the default inbound policy decides for a caller (no ALLOW policy applied).</summary>
    internal AuthorizationDecision Default(string? identity) => Policy.DefaultPolicy switch
    {
        DefaultInboundPolicies.AllUnauthenticated => _allowedByDefault,
        DefaultInboundPolicies.Deny => _deniedByDefault,
        _ when identity is null => _deniedPlaintext,
        DefaultInboundPolicies.AllAuthenticated => AuthorizationIdentity.IsInTrustDomain(identity, _trustDomainPrefix) ? _allowedByDefault : _deniedByDefault,
        _ => AuthorizationIdentity.IsOneSegmentAfter(identity, _namespacePrefix) ? _allowedByDefault : _deniedByDefault,
    };

    /// <summary>
    /// The NotAllowedByPolicy decision: ALLOW policies target the workload and none of their rules matched. Null when no
    /// ALLOW policy targets it (the default decides).
    /// </summary>
    internal AuthorizationDecision? NotAllowed { get; }

    private static AuthorizationDecision? BuildNotAllowed(InboundPolicy policy, string[] allowNames) => allowNames.Length == 0
        ? null
        : new AuthorizationDecision(AuthorizationVerdict.NotAllowedByPolicy, null, null, policy.DefaultPolicy,
            "no ALLOW policy rule matched: " + (allowNames.Length == 1
                ? $"ALLOW policy {allowNames[0]} targets this workload"
                : $"ALLOW policies {string.Join(", ", allowNames)} target this workload"));

    private static (AuthorizationDecision Allowed, AuthorizationDecision DeniedPlaintext, AuthorizationDecision Denied) Defaults(InboundPolicy p)
    {
        var d = p.DefaultPolicy;
        AuthorizationDecision Allowed(string why) => new(AuthorizationVerdict.AllowedByDefault, null, null, d, $"allowed by default {d}: {why}");
        AuthorizationDecision Denied(string why) => new(AuthorizationVerdict.DeniedByDefault, null, null, d, $"denied by default {d}: {why}");
        var plaintext = Denied("the caller has no verified mesh identity (plaintext)");
        return d switch
        {
            DefaultInboundPolicies.AllUnauthenticated => (Allowed("no ALLOW policy applies and the default admits every caller"), plaintext, plaintext),
            DefaultInboundPolicies.AllAuthenticated => (
                Allowed($"the caller has a verified identity in trust domain {p.TrustDomain}"),
                plaintext,
                Denied($"the caller's identity is not in trust domain {p.TrustDomain}")),
            DefaultInboundPolicies.SameNamespace => (
                Allowed($"the caller is a service account of namespace {p.Namespace}"),
                plaintext,
                Denied($"the caller is not a service account of namespace {p.Namespace}")),
            _ => (Allowed("unreachable"), plaintext, Denied("no ALLOW policy applies and the default admits nobody")),
        };
    }
}
