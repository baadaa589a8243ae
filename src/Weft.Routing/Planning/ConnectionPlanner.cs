using Weft.Routing.Filters;
using Weft.Routing.Policy;

namespace Weft.Routing.Planning;

/// <summary>
/// Which backend an opaque connection goes to (gamma-spec K2, K3, F4): TLSRoute rules by SNI (exact beats wildcard;
/// <c>*.example.com</c> matches any name ending in <c>.example.com</c>), the TCPRoute rule, else the Service's own
/// endpoints (C1); then the weighted pick. Invalid backends and backends without endpoints reject the connection.
/// The L4 counterpart of <see cref="RequestPlanner"/>, used by the proxy for every opaque, TCP or TLS connection and by
/// <c>weft explain</c>.
/// </summary>
public static class ConnectionPlanner
{
    /// <param name="policy">The destination's policy.</param>
    /// <param name="serverName">The SNI of the connection's ClientHello, for a TLS destination; null when none was sent.</param>
    /// <param name="random01">A uniform random number in [0, 1) for the weighted pick (gamma-spec F2).</param>
    public static ConnectionPlan Plan(DestinationPolicy policy, string? serverName, double random01)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (PolicyProtocol.IsTunnelled(policy.Protocol) && policy.L4Rules.Count > 0)
        {
            var rule = policy.Protocol == PolicyProtocol.Tls ? MatchServerName(policy.L4Rules, serverName) : policy.L4Rules[0];
            if (rule is null)
            {
                return new ConnectionPlan { Outcome = PlanOutcome.NoRuleMatched, Rejected = $"no TLSRoute hostname matches SNI '{serverName ?? "(none)"}'" };
            }

            var index = WeightedPicker.Pick(rule.Backends, random01);
            if (index < 0)
            {
                return new ConnectionPlan
                {
                    Outcome = PlanOutcome.NoBackends,
                    Rule = rule,
                    Rejected = $"{rule.Origin.RouteKind} {rule.Origin.RouteNamespace}/{rule.Origin.RouteName} has no backend with weight",
                };
            }

            return Use(rule.Backends[index], index, rule);
        }

        return policy.DefaultBackend is { } service
            ? Use(service, -1, null)
            : new ConnectionPlan
            {
                Outcome = PlanOutcome.NoService,
                Rejected = $"{policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port} has {policy.Protocol} routes and no default backend for opaque traffic",
            };
    }

    private static ConnectionPlan Use(BackendPolicy backend, int index, L4RulePolicy? rule)
    {
        var outcome = PlanOutcomes.OfPicked(backend, index);
        return new ConnectionPlan
        {
            Outcome = outcome,
            Rule = rule,
            Picked = backend,
            PickedIndex = index,
            Rejected = outcome switch
            {
                PlanOutcome.InvalidBackend => $"backend {backend.Display()} is invalid ({backend.Invalid})",
                PlanOutcome.NoReadyEndpoints => $"backend {backend.Display()} has no ready endpoints",
                _ => null,
            },
        };
    }

    public static L4RulePolicy? MatchServerName(IReadOnlyList<L4RulePolicy> rules, string? serverName)
    {
        if (serverName is null)
        {
            return null;
        }

        L4RulePolicy? wildcard = null;
        var wildcardLength = -1;
        foreach (var rule in rules)
        {
            foreach (var hostname in rule.Hostnames)
            {
                if (string.Equals(hostname, serverName, StringComparison.OrdinalIgnoreCase))
                {
                    return rule;
                }

                if (hostname.StartsWith("*.", StringComparison.Ordinal) && serverName.Length > hostname.Length - 1
                    && serverName.EndsWith(hostname.AsSpan(1), StringComparison.OrdinalIgnoreCase) && hostname.Length > wildcardLength)
                {
                    (wildcard, wildcardLength) = (rule, hostname.Length);
                }
            }
        }

        return wildcard;
    }
}
