using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// A route as a model holds it: its analysis and the parents it binds to. Shared by the models made from one another
/// while the route and what it names stay the same, and so is the status last made of it (<see cref="Status"/>).
/// </summary>
internal sealed class RouteAnalysis(AnalyzedRoute route, List<ParentBinding> parents)
{
    private RouteStatusMade? _status;

    public AnalyzedRoute Route { get; } = route;

    public List<ParentBinding> Parents { get; } = parents;

    /// <summary>The route's status as a model last made it, and what it read besides this analysis; set by any model that holds it.</summary>
    public RouteStatusMade? Status
    {
        get => Volatile.Read(ref _status);
        set => Volatile.Write(ref _status, value);
    }

    public void Deconstruct(out AnalyzedRoute route, out List<ParentBinding> parents) => (route, parents) = (Route, Parents);
}

/// <summary>
/// A route's status and what a model read to make it besides the route's analysis: its l4 workloads and the route groups
/// of each parent port (the route's own, and the producer routes'), each with its key, as instances. A model that holds
/// the same has the same status for the route (its controller name too: the models that share an analysis are made from
/// one another, and keep it).
/// </summary>
internal sealed record RouteStatusMade(RouteStatus Status, IReadOnlyList<string> L4Workloads, (GroupKey Key, List<AnalyzedRoute>? Group)[] Groups);
