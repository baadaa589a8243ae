using Weft.Routing.Authorization;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Routing.Tests;

internal static class Extensions
{
    /// <summary>A destination policy as discovery serialises it, "" for none: what the update tests compare.</summary>
    public static string ToJson(this DestinationPolicy? policy) => policy is null ? "" : System.Text.Encoding.UTF8.GetString(PolicyJson.Serialize(policy));

    /// <summary>An inbound policy as discovery serialises it, "" for none.</summary>
    public static string ToJson(this InboundPolicy? policy) => policy is null ? "" : System.Text.Encoding.UTF8.GetString(InboundPolicyJson.Serialize(policy));

    /// <summary>Compiles each destination (client namespace, host, port), so that a model made from this one has policies to keep.</summary>
    public static void CompileEach(this MeshModel model, IEnumerable<(string Client, string Host, int Port)> destinations)
    {
        foreach (var (client, host, port) in destinations)
        {
            model.Compile(client, host, port);
        }
    }

    /// <summary>Asserts that <paramref name="updated"/> compiles each destination as <paramref name="built"/> does (as discovery serialises it).</summary>
    public static void AssertCompilesAs(this MeshModel updated, MeshModel built, IEnumerable<(string Client, string Host, int Port)> destinations)
    {
        foreach (var (client, host, port) in destinations)
        {
            Assert.Equal(built.Compile(client, host, port).ToJson(), updated.Compile(client, host, port).ToJson());
        }
    }

    /// <summary>Every route status, one line each ("kind ns/name: parent conditions; ..."), in the model's order.</summary>
    public static IEnumerable<string> StatusLines(this MeshModel model) => model.Statuses.Select(Line);

    /// <summary>A route status on one line: "kind ns/name: parent conditions; ...".</summary>
    public static string Line(this RouteStatus s) =>
        $"{s.Kind} {s.Namespace}/{s.Name}: {string.Join("; ", s.Parents.Select(p => $"{p.ParentRef.Namespace}/{p.ParentRef.Name}:{p.ParentRef.Port} {string.Join(", ", p.Conditions)}"))}";

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
