using Weft.Routing.Filters;
using Weft.Routing.Policy;

namespace Weft.Routing.Planning;

/// <summary>
/// Which backend an opaque connection goes to (gamma-spec K2, K3, F4): TLSRoute rules by SNI (exact beats wildcard;
/// <c>*.example.com</c> matches any name ending in <c>.example.com</c>), the TCPRoute rule, else the Service's own
/// endpoints (C1); then the weighted pick. Invalid backends and backends without endpoints reject the connection.
/// The L4 counterpart of <see cref="RequestPlanner"/>, used by the proxy for every opaque, TCP or TLS connection.
/// </summary>
public static class ConnectionPlanner
{
    public static (BackendPolicy? Backend, string? Rejected) Plan(DestinationPolicy policy, string? serverName, double random01)
    {
        ArgumentNullException.ThrowIfNull(policy);
        BackendPolicy? backend;
        if (policy.Protocol is PolicyProtocol.Tls or PolicyProtocol.Tcp && policy.L4Rules.Count > 0)
        {
            var rule = policy.Protocol == PolicyProtocol.Tls ? MatchServerName(policy.L4Rules, serverName) : policy.L4Rules[0];
            if (rule is null)
            {
                return (null, $"no TLSRoute hostname matches SNI '{serverName ?? "(none)"}'");
            }

            var index = WeightedPicker.Pick(rule.Backends, random01);
            if (index < 0)
            {
                return (null, $"{rule.Origin.RouteKind} {rule.Origin.RouteNamespace}/{rule.Origin.RouteName} has no backend with weight");
            }

            backend = rule.Backends[index];
        }
        else if (policy.DefaultBackend is { } d)
        {
            backend = d;
        }
        else
        {
            return (null, $"{policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port} has {policy.Protocol} routes and no default backend for opaque traffic");
        }

        if (backend.Invalid is { } invalid)
        {
            return (null, $"backend {backend.Namespace}/{backend.Name}:{backend.Port} is invalid ({invalid})");
        }

        return backend.Endpoints.Count == 0 ? (null, $"backend {backend.Namespace}/{backend.Name}:{backend.Port} has no ready endpoints") : (backend, null);
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
