using Weft.Api.Model;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>MeshModel.Update when routes change (edited, added, removed, reordered): the same policies and statuses as MeshModel.Build.</summary>
public class RouteUpdateTests
{
    private static readonly (string Client, string Host, int Port)[] Destinations =
        [(Mesh, "echo", 80), (Consumer, "echo", 80), (Mesh, "echo", 8080), (Mesh, "echo-v1", 80), (Mesh, "echo-v2", 80)];

    private static readonly HttpRoute Producer = Http(Mesh, "a-producer", Parent("echo", port: 80), Rule(Prefix("/p"), Backend("echo-v1", 80)));
    private static readonly HttpRoute Both = Http(Mesh, "b-both-ports", Parent("echo"), Rule(Prefix("/b"), Backend("echo-v2", 80)));
    private static readonly HttpRoute ConsumerRoute = Http(Consumer, "c-consumer", Parent("echo", ns: Mesh, port: 80), Rule(Prefix("/c"), Backend("echo-v2", 80, ns: Mesh)));

    public static TheoryData<string> Changes => ["producer route edited", "route removed", "consumer route added", "routes reordered", "route renamed"];

    private static Route[] After(string change) => change switch
    {
        "producer route edited" => [Http(Mesh, "a-producer", Parent("echo", port: 80), Rule(Prefix("/p2"), Backend("echo-v2", 80))), Both],
        "route removed" => [Both],
        "consumer route added" => [Producer, Both, ConsumerRoute],
        "routes reordered" => [Both, Producer],
        _ => [Http(Mesh, "z-renamed", Parent("echo", port: 80), Rule(Prefix("/p"), Backend("echo-v1", 80))), Both],
    };

    private static string Json(DestinationPolicy? policy) => policy is null ? "" : System.Text.Encoding.UTF8.GetString(PolicyJson.Serialize(policy));

    [Theory]
    [MemberData(nameof(Changes))]
    public void An_update_where_routes_changed_compiles_what_a_full_build_compiles(string change)
    {
        var before = Base(Producer, Both);
        var first = MeshModel.Build(before);
        foreach (var (client, host, port) in Destinations)
        {
            first.Compile(client, host, port);
        }

        var after = before with { Routes = After(change) };
        var updated = first.Update(after);
        var built = MeshModel.Build(after);

        foreach (var (client, host, port) in Destinations)
        {
            Assert.Equal(Json(built.Compile(client, host, port)), Json(updated.Compile(client, host, port)));
        }

        static IEnumerable<string> Statuses(MeshModel model) =>
            model.Statuses.Select(s => $"{s.Kind} {s.Namespace}/{s.Name}: {string.Join("; ", s.Parents.SelectMany(p => p.Conditions))}");
        Assert.Equal(Statuses(built), Statuses(updated));
    }
}
