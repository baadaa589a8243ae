using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Routing.Tests;

internal static class Extensions
{
    public static RouteStatus StatusOf(this MeshModel model, string name) => model.Statuses.Single(s => s.Name == name);

    public static RouteCondition Cond(this RouteStatus s, string type, int parent = 0) => s.Parents[parent].Condition(type)!;

    public static DestinationPolicy Policy(this MeshModel model, string host, int port = 80, string client = K.Mesh) =>
        model.Compile(client, host, port) ?? throw new InvalidOperationException($"no policy for {host}:{port}");

    /// <summary>The rule a request hits, as "route/ruleIndex", "404" when none.</summary>
    public static RulePolicy? Route(this MeshModel model, string pathAndQuery, string host = "echo", int port = 80, string client = K.Mesh, string method = "GET", params (string, string)[] headers)
    {
        var table = RouteTable.Build(model.Policy(host, port, client));
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        var query = q < 0 ? null : pathAndQuery[(q + 1)..];
        var i = table.Match(method, path, query, new HeaderList(headers.Select(x => KeyValuePair.Create(x.Item1, x.Item2))));
        return i < 0 ? null : table.Policy.Rules[i];
    }

    /// <summary>The backend Service name a request lands on (single-backend rules), or "404".</summary>
    public static string BackendFor(this MeshModel model, string pathAndQuery, params (string, string)[] headers) =>
        model.Route(pathAndQuery, headers: headers) is { } r ? r.Backends.Single().Name : "404";
}
