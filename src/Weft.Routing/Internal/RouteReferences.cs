using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>
/// Which analysed routes name each Service (namespace/name) as a parent or a backend (<see cref="AnalyzedRoute.ServiceRefs"/>,
/// which holds every Service of <see cref="AnalyzedRoute.EndpointServices"/>: the analyser names a backend before it
/// resolves its endpoints). A model's update finds the routes a change of Services or endpoints touches here, instead
/// of looking at every route (issue 18: at 50,000 routes that look was a third of a small change's update). Shared by
/// the models made from one another (<see cref="FollowedMultimap{TKey, TValue}"/>): a route found here may be gone or no
/// longer name the Service, so only those the model holds are given.
/// </summary>
internal sealed class RouteReferences
{
    private readonly FollowedMultimap<string, Route> _byService = new(StringComparer.Ordinal, ReferenceEqualityComparer.Instance);

    /// <summary>The routes of <paramref name="analyses"/> (the analyses of model <paramref name="model"/>) that may name one of <paramref name="services"/>, once each.</summary>
    public List<Route> Naming(long model, LayeredMap<Route, RouteAnalysis> analyses, IReadOnlySet<string> services)
    {
        var found = new HashSet<Route>(ReferenceEqualityComparer.Instance);
        _byService.Read(
            model, analyses, analyses.Count, static (all, put) =>
            {
                foreach (var (route, _) in all.Values)
                {
                    Put(route, put);
                }
            },
            services, route =>
            {
                if (analyses[route] is not null)
                {
                    found.Add(route);
                }
            });
        return [.. found];
    }

    /// <summary>Model <paramref name="to"/> was made from model <paramref name="from"/>, with <paramref name="analysed"/> its routes analysed anew and <paramref name="removed"/> gone.</summary>
    public void Advance(long from, long to, IReadOnlyCollection<AnalyzedRoute> analysed, int removed) =>
        _byService.Advance(from, to, analysed, removed, Put);

    private static void Put(AnalyzedRoute route, Action<string, Route> put)
    {
        foreach (var service in route.ServiceRefs)
        {
            put(service, route.Route);
        }
    }
}
