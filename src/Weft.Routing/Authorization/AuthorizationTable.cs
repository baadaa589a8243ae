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
    private const int MaxCachedAllowPolicies = 64;

    private readonly string _trustDomainPrefix;
    private readonly string _namespacePrefix;
    private readonly AuthorizationDecision _allowedByDefault;
    private readonly AuthorizationDecision _deniedPlaintext;
    private readonly AuthorizationDecision _deniedByDefault;
    private readonly string[] _allowNames;
    private readonly ConcurrentDictionary<ulong, AuthorizationDecision> _notAllowed = new();

    private AuthorizationTable(InboundPolicy policy)
    {
        Policy = policy;
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

            var allowIndex = -1;
            if (!isDeny)
            {
                // A policy with several scoped targets on this workload has one entry per scope: name it once.
                allowIndex = allowNames.IndexOf(display);
                if (allowIndex < 0)
                {
                    allowIndex = allowNames.Count;
                    allowNames.Add(display);
                }
            }

            (isDeny ? deny : allow).Add(new AuthorizationPolicyMatcher(display, isDeny, scope, rules, allowIndex));
        }

        Deny = [.. deny];
        Allow = [.. allow];
        _allowNames = [.. allowNames];
    }

    public InboundPolicy Policy { get; }

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
    /// The NotAllowedByPolicy decision naming the ALLOW policies that applied (<paramref name="applied"/>: a bit per
    /// position in the table's ALLOW names), built once per set of policies.
    /// </summary>
    internal AuthorizationDecision NotAllowed(ulong applied) =>
        _allowNames.Length <= MaxCachedAllowPolicies
            ? _notAllowed.GetOrAdd(applied, static (mask, table) => table.BuildNotAllowed(mask, null), this)
            : BuildNotAllowed(applied, null);

    /// <summary>For tables with more ALLOW policies than a mask holds: the names themselves.</summary>
    internal AuthorizationDecision NotAllowed(List<int> applied) => BuildNotAllowed(0, applied);

    internal static ulong Bit(int allowIndex) => allowIndex < MaxCachedAllowPolicies ? 1UL << allowIndex : 0;

    internal bool UsesMask => _allowNames.Length <= MaxCachedAllowPolicies;

    private AuthorizationDecision BuildNotAllowed(ulong mask, List<int>? indices)
    {
        var names = new List<string>();
        for (var i = 0; i < _allowNames.Length; i++)
        {
            if (indices?.Contains(i) ?? (mask & Bit(i)) != 0)
            {
                names.Add(_allowNames[i]);
            }
        }

        var list = names.Count == 1 ? $"ALLOW policy {names[0]} applies" : $"ALLOW policies {string.Join(", ", names)} apply";
        return new AuthorizationDecision(AuthorizationVerdict.NotAllowedByPolicy, null, null, Policy.DefaultPolicy, $"no ALLOW policy rule matched: {list}");
    }

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
