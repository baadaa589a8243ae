using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// Which analysed routes name each Service (namespace/name) as a parent or a backend (<see cref="AnalyzedRoute.ServiceRefs"/>,
/// which holds every Service of <see cref="AnalyzedRoute.EndpointServices"/>: the analyser names a backend before it
/// resolves its endpoints). A model's update finds the routes a
/// change of Services or endpoints touches here, instead of looking at every route (issue 18: at 50,000 routes that look
/// was a third of a small change's update). Immutable: <see cref="With"/> makes the next model's, sharing the lists of
/// the Services no changed route names.
/// </summary>
internal sealed class RouteReferences
{
    private readonly Dictionary<string, List<Route>> _byService;

    private RouteReferences(Dictionary<string, List<Route>> byService) => _byService = byService;

    public static RouteReferences Of(IEnumerable<AnalyzedRoute> routes)
    {
        var byService = new Dictionary<string, List<Route>>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            Add(byService, route, copied: null);
        }

        return new RouteReferences(byService);
    }

    /// <summary>These references without the <paramref name="removed"/> analyses' and with the <paramref name="added"/> ones'.</summary>
    public RouteReferences With(IReadOnlyCollection<AnalyzedRoute> removed, IReadOnlyCollection<AnalyzedRoute> added)
    {
        if (removed.Count == 0 && added.Count == 0)
        {
            return this;
        }

        // The lists of the Services a changed route names are copied before they change: the previous model keeps its own.
        var byService = new Dictionary<string, List<Route>>(_byService, StringComparer.Ordinal);
        var copied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var route in removed)
        {
            foreach (var service in route.ServiceRefs)
            {
                if (Own(byService, copied, service) is { } list)
                {
                    list.Remove(route.Route);
                    if (list.Count == 0)
                    {
                        byService.Remove(service);
                    }
                }
            }
        }

        foreach (var route in added)
        {
            Add(byService, route, copied);
        }

        return new RouteReferences(byService);
    }

    /// <summary>Every route that names one of <paramref name="services"/>, once each, to <paramref name="action"/>.</summary>
    public void ForEachNaming(IReadOnlySet<string> services, Action<Route> action)
    {
        var seen = new HashSet<Route>(ReferenceEqualityComparer.Instance);
        foreach (var service in services)
        {
            if (_byService.TryGetValue(service, out var routes))
            {
                foreach (var route in routes)
                {
                    if (seen.Add(route))
                    {
                        action(route);
                    }
                }
            }
        }
    }

    private static void Add(Dictionary<string, List<Route>> byService, AnalyzedRoute route, HashSet<string>? copied)
    {
        foreach (var service in route.ServiceRefs)
        {
            var list = copied is null ? byService.GetValueOrDefault(service) : Own(byService, copied, service);
            if (list is null)
            {
                byService[service] = list = [];
                copied?.Add(service);
            }

            list.Add(route.Route);
        }
    }

    /// <summary>The list of <paramref name="service"/> in <paramref name="byService"/>, copied first unless this update made or copied it already; null when there is none.</summary>
    private static List<Route>? Own(Dictionary<string, List<Route>> byService, HashSet<string> copied, string service)
    {
        if (!byService.TryGetValue(service, out var list))
        {
            return null;
        }

        if (copied.Add(service))
        {
            byService[service] = list = [.. list];
        }

        return list;
    }
}
