using System.Globalization;
using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>Where a request would go from a client namespace, and why, step by step (for <c>weft explain</c>).</summary>
public sealed record Explanation
{
    public required string ClientNamespace { get; init; }

    /// <summary>The caller's level (<see cref="MeshLevels"/>: off, l4 or l7), and where it was read (<see cref="ClientLevelSource"/>).</summary>
    public string ClientLevel { get; init; } = MeshLevels.L7;
    public string ClientLevelSource { get; init; } = "the mesh default";
    public required ExplainRequest Request { get; init; }

    /// <summary>The destination recognised, or null (see <see cref="FrontendNote"/>).</summary>
    public ServiceFrontend? Frontend { get; init; }
    public required string FrontendNote { get; init; }

    /// <summary>none, consumer or producer (gamma-spec B3), and why.</summary>
    public string View { get; init; } = PolicyView.None;
    public string ViewReason { get; init; } = "";

    /// <summary>Routes bound to the Service port, per group, whether applied or not.</summary>
    public IReadOnlyList<ExplainedRoute> Routes { get; init; } = [];

    /// <summary>The route-type decision (gamma-spec D1) when several types bind the port.</summary>
    public string? ConflictDecision { get; init; }

    public string Protocol { get; init; } = PolicyProtocol.Opaque;

    /// <summary>What <see cref="Protocol"/> means for this request, when it is not plain (an opaque port's detection).</summary>
    public string? ProtocolNote { get; init; }

    /// <summary>The winning rule, or null (no rules: default backend; or no match: 404).</summary>
    public ExplainedRule? Matched { get; init; }

    /// <summary>Other rules that matched too, each with the precedence step that made it lose.</summary>
    public IReadOnlyList<ExplainedRule> AlsoMatched { get; init; } = [];

    /// <summary>What happens: e.g. "forward", "404 ...", "302 Location: ...", "500 ...".</summary>
    public required string Outcome { get; init; }

    /// <summary>
    /// The planner's decision (<see cref="Planning.RequestPlanner"/> or <see cref="Planning.ConnectionPlanner"/>, run as
    /// the proxy runs it) when every share of the traffic gets the same one; null when the destination is unknown or
    /// the backends' shares get different ones (see <see cref="ExplainedBackend.Outcome"/>).
    /// </summary>
    public Planning.PlanOutcome? Decision { get; init; }

    /// <summary>Rule-level filters that run, in order (gamma-spec G3).</summary>
    public IReadOnlyList<FilterPolicy> Filters { get; init; } = [];
    public IReadOnlyList<ExplainedBackend> Backends { get; init; } = [];

    /// <summary>The whole compiled policy, as the proxy would receive it.</summary>
    public DestinationPolicy? Policy { get; init; }

    /// <summary>A human-readable rendering, one line each.</summary>
    public IReadOnlyList<string> ToLines()
    {
        var lines = new List<string>
        {
            $"request:  {Request.Method} {Request.Host}:{Request.Port}{Request.PathAndQuery} from namespace {ClientNamespace}",
        };
        lines.Add(ClientLevel switch
        {
            MeshLevels.Off => $"level:    off ({ClientLevelSource}): the caller has no sidecar: no route, no mTLS, no mesh identity; its connection leaves the pod as the app opened it",
            MeshLevels.L4 => $"level:    l4 ({ClientLevelSource}): the caller's sidecar does mTLS and L4 routes only; HTTPRoutes and GRPCRoutes do not exist for it",
            _ => $"level:    l7 ({ClientLevelSource})",
        });
        if (Request.Identity is not null)
        {
            lines.Add($"caller:   {Request.Identity} (the identity its sidecar's certificate proves)");
        }

        lines.Add($"frontend: {FrontendNote}");
        if (Frontend is null)
        {
            lines.Add($"outcome:  {Outcome}");
            return lines;
        }

        lines.Add($"view:     {View}: {ViewReason}");
        foreach (var r in Routes)
        {
            lines.Add($"  {(r.Applied ? "+" : "-")} {r.Group} {r.Kind} {r.Namespace}/{r.Name}: {r.Note}");
        }

        if (ConflictDecision is not null)
        {
            lines.Add($"conflict: {ConflictDecision}");
        }

        lines.Add(ProtocolNote is null ? $"protocol: {Protocol}" : $"protocol: {Protocol}: {ProtocolNote}");
        if (Matched is not null)
        {
            lines.Add($"matched:  {Describe(Matched)}");
            foreach (var other in AlsoMatched)
            {
                lines.Add($"  also matched {Describe(other)}; lost on {other.LostBecause}");
            }

            if (Policy?.Rules.ElementAtOrDefault(Matched.PolicyIndex) is { } rule)
            {
                if (rule.Timeouts is { } t && (t.Request is not null || t.BackendRequest is not null))
                {
                    lines.Add($"timeouts: request {Duration(t.Request)}, backendRequest {Duration(t.BackendRequest)} (GEP-1742; 504 past them)");
                }

                if (rule.Retry is { } r)
                {
                    var codes = r.Codes.Select(c => c.ToString(CultureInfo.InvariantCulture)).Concat(r.GrpcCodes.Select(c => $"gRPC {Planning.GrpcStatusCodes.Name(c)}")).ToList();
                    lines.Add($"retry:    up to {r.Attempts} more {(r.Attempts == 1 ? "try" : "tries")} on {(codes.Count == 0 ? "no code" : string.Join(", ", codes))}{(r.Backoff is { } b ? $", backoff {Duration(b)}" : "")} (GEP-1731)");
                }
            }
        }

        foreach (var f in Filters)
        {
            lines.Add($"filter:   {f.Kind}");
        }

        foreach (var b in Backends)
        {
            lines.Add($"backend:  {b.Backend.Display()} weight {b.Backend.Weight} ({Percent(b.Share)}): {b.Note}");
            foreach (var group in (b.Authorization ?? []).GroupBy(a => a.Decision.Reason, StringComparer.Ordinal))
            {
                var verdict = group.First().Decision.Allowed ? "allowed" : "DENIED";
                lines.Add($"  authz:  {verdict} at {string.Join(", ", group.Select(a => a.Pod))}: {group.Key}");
            }
        }

        lines.Add($"outcome:  {Outcome}");
        return lines;
    }

    private static string Duration(TimeSpan? d) => d switch
    {
        null => "unset",
        { Ticks: 0 } => "0s (none)",
        { } v when v.Milliseconds == 0 => $"{v.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
        { } v => $"{v.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms",
    };

    /// <summary>A share (0..1) as people read it: <c>70%</c>, <c>33.3%</c>.</summary>
    internal static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string Describe(ExplainedRule r)
    {
        var o = r.Origin;
        var rule = o.RuleName is null ? $"rules[{o.RuleIndex}]" : $"rules[{o.RuleIndex}] \"{o.RuleName}\"";
        return $"{o.RouteKind} {o.RouteNamespace}/{o.RouteName} {rule} matches[{o.MatchIndex}] ({Describe(r.Match)})";
    }

    /// <summary>One route match as people read it: <c>PathPrefix /orders method=POST headers=x-canary=true</c>, <c>service=shop.Cart method=*</c>.</summary>
    public static string Describe(MatchPolicy m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var what = m.GrpcType is not null || m.PathType is null
            ? $"service={m.GrpcService ?? "*"} method={m.GrpcMethod ?? "*"}"
            : $"{m.PathType} {m.PathValue}";
        if (m.Method is not null)
        {
            what += $" method={m.Method}";
        }

        if (m.Headers.Count > 0)
        {
            what += $" headers={string.Join(",", m.Headers.Select(h => $"{h.Name}={h.Value}"))}";
        }

        if (m.QueryParams.Count > 0)
        {
            what += $" query={string.Join(",", m.QueryParams.Select(q => $"{q.Name}={q.Value}"))}";
        }

        return what;
    }
}
