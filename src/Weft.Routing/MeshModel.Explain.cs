using System.Globalization;
using Weft.Routing.Filters;
using Weft.Routing.Internal;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Routing;

public sealed partial class MeshModel
{
    /// <summary>Where <paramref name="request"/> from a workload in <paramref name="clientNamespace"/> would go, and why.</summary>
    public Explanation Explain(string clientNamespace, ExplainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var frontend = Resolve(clientNamespace, request.Host, request.Port, out var note);
        if (frontend is null)
        {
            return new Explanation
            {
                ClientNamespace = clientNamespace,
                Request = request,
                FrontendNote = note,
                Outcome = "unknown destination: the mesh has no policy for it (the proxy forwards it as addressed)",
            };
        }

        var compiled = Compile(clientNamespace, frontend);
        var policy = compiled.Policy;
        var selection = compiled.Selection;
        var routes = new List<ExplainedRoute>();
        foreach (var (group, list) in new[] { (PolicyView.Consumer, selection.Consumer), (PolicyView.Producer, selection.Producer) })
        {
            foreach (var r in list)
            {
                var applied = selection.Applied.Contains(r);
                var why = applied
                    ? "applied"
                    : group != selection.View
                        ? "not consulted: consumer routes of the client's namespace replace producer routes (gamma-spec B3)"
                        : $"not applied: {TypeOrder[(int)selection.Applied[0].Type]} takes precedence on this port (gamma-spec D1), status Conflicted";
                routes.Add(new ExplainedRoute(r.Route.Kind, r.Route.Namespace, r.Route.Name, group, applied, why));
            }
        }

        var result = new Explanation
        {
            ClientNamespace = clientNamespace,
            Request = request,
            Frontend = frontend,
            FrontendNote = note,
            View = selection.View,
            ViewReason = selection.ViewReason,
            Routes = routes,
            ConflictDecision = selection.ConflictDecision,
            Protocol = policy.Protocol,
            Policy = policy,
            Outcome = "",
        };

        if (policy.DefaultBackend is { } fallback)
        {
            return result with
            {
                Backends = [Explain(fallback, 1.0)],
                Outcome = fallback.Endpoints.Count == 0 ? "503: the Service has no ready endpoints (gamma-spec F4)" : "forward to the Service's own endpoints (no route applies, gamma-spec C1)",
            };
        }

        if (policy.L4Rules.Count > 0)
        {
            var l4 = policy.L4Rules[0];
            return result with
            {
                Backends = Shares(l4.Backends),
                Outcome = $"{policy.Protocol} connection handled by {l4.Origin.RouteKind} {l4.Origin.RouteNamespace}/{l4.Origin.RouteName} (gamma-spec K2/K3)",
            };
        }

        var (path, query) = SplitPathAndQuery(request.PathAndQuery);
        var table = RouteTable.Build(policy);
        var headers = new ExplainHeaders(request.Headers);
        var matching = new List<int>();
        for (var i = 0; i < policy.Rules.Count; i++)
        {
            if (table.RuleMatches(i, request.Method, path, query, headers))
            {
                matching.Add(i);
            }
        }

        if (matching.Count == 0)
        {
            return result with { Outcome = "404: no rule matches; attached routes replace the default behaviour (gamma-spec C2)" };
        }

        var winner = matching[0];
        var grpc = policy.Protocol == PolicyProtocol.Grpc;
        var others = new List<ExplainedRule>();
        foreach (var i in matching.Skip(1))
        {
            _ = grpc
                ? Precedence.CompareGrpc(compiled.Candidates[winner], compiled.Candidates[i], out var step)
                : Precedence.CompareHttp(compiled.Candidates[winner], compiled.Candidates[i], out step);
            others.Add(new ExplainedRule(policy.Rules[i].Origin, policy.Rules[i].Match, i, step));
        }

        var rule = policy.Rules[winner];
        result = result with
        {
            Matched = new ExplainedRule(rule.Origin, rule.Match, winner, null),
            AlsoMatched = others,
            Filters = rule.Filters,
            Backends = Shares(rule.Backends),
        };
        foreach (var f in rule.Filters)
        {
            if (f.Redirect is { } redirect)
            {
                var hostHeader = Header(request.Headers, "Host") ?? request.Host;
                var (status, location) = RedirectLocation.Build(redirect, "http", hostHeader, policy.Port, path, query);
                return result with { Outcome = $"{status.ToString(CultureInfo.InvariantCulture)} redirect, Location: {location} (gamma-spec G6)" };
            }
        }

        if (rule.Backends.Count == 0)
        {
            return result with
            {
                Outcome = grpc
                    ? "gRPC UNAVAILABLE: the rule has no backendRefs with traffic (gamma-spec F3)"
                    : "500: the rule has no backendRefs with traffic and no redirect (gamma-spec F3)",
            };
        }

        return result with { Outcome = "forward to a backend picked by weight (gamma-spec F2)" };
    }

    private static List<ExplainedBackend> Shares(IReadOnlyList<BackendPolicy> backends)
    {
        long total = 0;
        foreach (var b in backends)
        {
            total += b.Weight;
        }

        return [.. backends.Select(b => Explain(b, total == 0 ? 0 : (double)b.Weight / total))];
    }

    private static ExplainedBackend Explain(BackendPolicy b, double share)
    {
        var note = b.Invalid is not null
            ? $"invalid ({b.Invalid}): its share gets 500 / UNAVAILABLE / a rejected connection (gamma-spec F4)"
            : b.Endpoints.Count == 0
                ? "no ready endpoints: its share gets 503 (gamma-spec F4)"
                : $"{b.AppProtocol} to {string.Join(", ", b.Endpoints.Select(e => e.Pod is null ? $"{e.Address}:{e.Port}" : $"{e.Address}:{e.Port} ({e.Pod})"))}";
        if (b.Filters.Count > 0)
        {
            note += $"; backend filters: {string.Join(", ", b.Filters.Select(f => f.Kind))}";
        }

        return new ExplainedBackend(b, share, note);
    }

    private static (string Path, string? Query) SplitPathAndQuery(string pathAndQuery)
    {
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        return (path.Length == 0 ? "/" : path, q < 0 ? null : pathAndQuery[(q + 1)..]);
    }

    private static string? Header(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        foreach (var h in headers)
        {
            if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return h.Value;
            }
        }

        return null;
    }

    /// <summary>Header lookup over a list: case-insensitive, repeated headers comma-joined (E4).</summary>
    private readonly struct ExplainHeaders(IReadOnlyList<KeyValuePair<string, string>> headers) : IHeaderLookup
    {
        public bool TryGetValue(string name, out string? value)
        {
            value = null;
            foreach (var h in headers)
            {
                if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = value is null ? h.Value : $"{value},{h.Value}";
                }
            }

            return value is not null;
        }
    }
}
