using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>A route validated and compiled once per snapshot, independent of parent and client (gamma-spec E, F, G, K).</summary>
internal sealed class AnalyzedRoute
{
    public required Route Route { get; init; }
    public required RouteType Type { get; init; }
    public required IReadOnlyList<AnalyzedRule> Rules { get; init; }

    /// <summary>Problems with backendRefs of any rule, including weight-0 ones (ResolvedRefs=False, F2 interp.).</summary>
    public required IReadOnlyList<Problem> BackendProblems { get; init; }

    /// <summary>A problem with the route as a whole (e.g. a TCPRoute without rules).</summary>
    public Problem? RouteProblem { get; init; }

    /// <summary>The XBackends its backendRefs (and mirrors) refer to, found and permitted, whether usable or not: their status lists its parents.</summary>
    public IReadOnlyList<XBackend> XBackends { get; init; } = [];

    /// <summary>
    /// The Services (namespace/name) whose endpoints its backends hold, once each: an endpoint change of any other
    /// Service leaves this analysis as it is (<see cref="MeshModel.Update"/>).
    /// </summary>
    public IReadOnlyList<string> EndpointServices { get; init; } = [];

    /// <summary>
    /// The Services (namespace/name) it names as a parent or as a backend (mirrors included), found or not: a change of
    /// any other Service leaves this analysis and its parents' binding as they are (<see cref="MeshModel.Update"/>).
    /// </summary>
    public IReadOnlyList<string> ServiceRefs { get; init; } = [];

    public string Key => Route.Key;
    public string Display => $"{Route.Kind} {Route.Key}";
    public DateTimeOffset? Created => Route.Metadata.CreationTimestamp;

    public bool HasValidRule
    {
        get
        {
            if (RouteProblem is not null)
            {
                return false;
            }

            foreach (var r in Rules)
            {
                if (r.Problem is null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
