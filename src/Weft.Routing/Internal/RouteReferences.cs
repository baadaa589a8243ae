using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// Which analysed routes name each Service (namespace/name) as a parent or a backend (<see cref="AnalyzedRoute.ServiceRefs"/>,
/// which holds every Service of <see cref="AnalyzedRoute.EndpointServices"/>: the analyser names a backend before it
/// resolves its endpoints). A model's update finds the routes a change of Services or endpoints touches here, instead
/// of looking at every route (issue 18: at 50,000 routes that look was a third of a small change's update). Shared by
/// the models made from one another, it follows one of them: made from that model's analyses when first asked for, then
/// given the routes each model made from it analyses. Only grown: a route found here may be gone or no longer name the
/// Service, so a caller keeps those its model holds; none that does is missing. Made again when it has grown past twice
/// what it was made from, or when a model it does not follow asks (an update of a model older than the newest, which
/// the translator never makes).
/// </summary>
internal sealed class RouteReferences
{
    private readonly Lock _gate = new();
    private Dictionary<string, List<Route>>? _byService;
    private long _follows = -1;
    private int _madeFrom;
    private int _addedSince;

    /// <summary>
    /// The routes of <paramref name="analyses"/> (the analyses of model <paramref name="model"/>) that may name one of
    /// <paramref name="services"/>, once each; made from those analyses unless it follows that model already.
    /// </summary>
    public List<Route> Naming(long model, IReadOnlyDictionary<Route, (AnalyzedRoute Route, List<ParentBinding> Parents)> analyses, IReadOnlySet<string> services)
    {
        var found = new List<Route>();
        lock (_gate)
        {
            if (_byService is null || _follows != model)
            {
                _byService = new(StringComparer.Ordinal);
                _follows = model;
                _madeFrom = analyses.Count;
                foreach (var (route, _) in analyses.Values)
                {
                    AddLocked(route);
                }

                _addedSince = 0;
            }

            var seen = new HashSet<Route>(ReferenceEqualityComparer.Instance);
            foreach (var service in services)
            {
                if (_byService.TryGetValue(service, out var routes))
                {
                    foreach (var route in routes)
                    {
                        if (analyses.ContainsKey(route) && seen.Add(route))
                        {
                            found.Add(route);
                        }
                    }
                }
            }
        }

        return found;
    }

    /// <summary>
    /// Model <paramref name="to"/> was made from model <paramref name="from"/>, with <paramref name="analysed"/> its routes
    /// analysed anew: followed from then on, when the one before was.
    /// </summary>
    public void Advance(long from, long to, IReadOnlyList<AnalyzedRoute> analysed)
    {
        lock (_gate)
        {
            if (_byService is null || _follows != from)
            {
                return;
            }

            foreach (var route in analysed)
            {
                AddLocked(route);
                _addedSince++;
            }

            _follows = to;

            // A cluster whose routes have changed many times over holds mostly routes gone: made again when next asked.
            if (_addedSince > (2 * _madeFrom) + 1024)
            {
                _byService = null;
            }
        }
    }

    private void AddLocked(AnalyzedRoute route)
    {
        foreach (var service in route.ServiceRefs)
        {
            if (!_byService!.TryGetValue(service, out var list))
            {
                _byService[service] = list = [];
            }

            // A route analysed again for a changed Service is the same instance, often the last one added: not added twice
            // then (Naming takes each route once anyway).
            if (list.Count == 0 || !ReferenceEquals(list[^1], route.Route))
            {
                list.Add(route.Route);
            }
        }
    }
}
