using Weft.Api.Model;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// MeshModel.Update when Services change (edited, created, deleted): the same policies and statuses as MeshModel.Build of
/// the new snapshot, with only the routes that name a changed Service analysed again and the policies of the other
/// destinations kept as they were (a Service's change at 50,000 Services was a whole new model, 1.3-1.9 s).
/// </summary>
public class ServiceChangeTests
{
    // echo:80 routes to echo-v1 (consumer route from the consumer namespace to echo-v2); echo-v2:80 and echo:9090 have no
    // route; echo-v3 does not exist until a change creates it.
    private static readonly (string Client, string Host, int Port)[] Destinations =
    [
        (Mesh, "echo", 80), (Consumer, $"echo.{Mesh}", 80), (Mesh, "echo", 9090), (Mesh, "echo-v1", 80), (Mesh, "echo-v2", 80),
        (Mesh, "echo-v3", 80), (Mesh, "10.96.0.10", 80), (Mesh, "10.96.0.12", 80), (Mesh, "10.96.0.13", 80), (Mesh, "10.0.0.1", 8080),
    ];

    private static MeshSnapshot Before() => Base(
        Http(Mesh, "r", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80))),
        Http(Consumer, "c", Parent("echo", ns: Mesh, port: 80), Rule(Prefix("/"), Backend("echo-v3", 80, ns: Mesh))));

    private static ServicePort[] OnePort(int targetPort, string app = "http") => [Port(80, "http", targetPort, app: app)];

    public static TheoryData<string> Changes =>
    [
        "echo-v1 edited", "echo-v2 edited", "echo-v2 deleted", "echo-v3 created", "echo-v3 created first at echo's cluster IP",
        "echo made headless", "echo-v2 made ExternalName", "echo-v2 moved to a free cluster IP", "Services reordered",
    ];

    private static MeshSnapshot After(MeshSnapshot before, string change)
    {
        var s = before.Services;
        return change switch
        {
            "echo-v1 edited" => before with { Services = [s[0], s[1] with { Spec = s[1].Spec with { Ports = OnePort(8080, app: "kubernetes.io/h2c") } }, s[2]] },
            "echo-v2 edited" => before with { Services = [s[0], s[1], s[2] with { Spec = s[2].Spec with { Ports = OnePort(8081) } }] },
            "echo-v2 deleted" => before with { Services = [s[0], s[1]] },
            "echo-v3 created" => before with { Services = [.. s, Svc(Mesh, "echo-v3", "10.96.0.13", OnePort(8080))] },
            "echo-v3 created first at echo's cluster IP" => before with { Services = [Svc(Mesh, "echo-v3", "10.96.0.10", OnePort(8080)), .. s] },
            "echo made headless" => before with { Services = [s[0] with { Spec = s[0].Spec with { ClusterIP = "None", ClusterIPs = ["None"] } }, s[1], s[2]] },
            "Services reordered" => before with { Services = [s[2], s[0], s[1]] },
            "echo-v2 made ExternalName" => before with { Services = [s[0], s[1], s[2] with { Spec = s[2].Spec with { Type = "ExternalName", ExternalName = "example.com", ClusterIP = "", ClusterIPs = [] } }] },
            _ => before with { Services = [s[0], s[1], s[2] with { Spec = s[2].Spec with { ClusterIP = "10.96.0.13", ClusterIPs = ["10.96.0.13"] } }] },
        };
    }

    /// <summary>
    /// The model of <see cref="Before"/> with every destination compiled (unless not <paramref name="compiled"/>), and the
    /// model made from it by <paramref name="change"/> (of the same objects, so that only the changed ones are new
    /// instances), and that snapshot.
    /// </summary>
    private static (MeshModel First, MeshModel Updated, MeshSnapshot After) Update(string change, bool compiled = true)
    {
        var before = Before();
        var first = MeshModel.Build(before);
        if (compiled)
        {
            first.CompileEach(Destinations);
        }

        var after = After(before, change);
        return (first, first.Update(after), after);
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void An_update_where_Services_changed_compiles_what_a_full_build_compiles(string change)
    {
        var (_, updated, after) = Update(change);
        var built = MeshModel.Build(after);

        updated.AssertCompilesAs(built, Destinations);
        Assert.Equal(built.StatusLines(), updated.StatusLines());
    }

    [Fact]
    public void A_reader_of_the_model_before_does_not_put_back_the_endpoints_of_a_Service_the_update_deleted()
    {
        var (first, updated, _) = Update("echo-v2 deleted", compiled: false);

        // The model before still has echo-v2 and resolves its endpoints for its policy, but keeps no entry: the update
        // removed the deleted Service's, and the cache is the newer model's. The newer model keeps what it resolves.
        Assert.Equal(["10.0.0.2"], first.Compile(Mesh, "echo-v2", 80)!.DefaultBackend!.Endpoints.Select(e => e.Address));
        Assert.False(updated.CachesEndpointsOf($"{Mesh}/echo-v2"));
        Assert.Null(updated.Compile(Mesh, "echo-v2", 80));

        Assert.NotNull(first.Compile(Mesh, "echo", 9090));
        Assert.False(updated.CachesEndpointsOf($"{Mesh}/echo"));
        Assert.NotNull(updated.Compile(Mesh, "echo", 9090));
        Assert.True(updated.CachesEndpointsOf($"{Mesh}/echo"));
    }

    [Fact]
    public void After_an_update_that_failed_the_model_still_served_keeps_what_it_resolves()
    {
        var before = Before();
        var first = MeshModel.Build(before);
        var broken = before with { Services = [.. before.Services, before.Services[0] with { Metadata = Meta(Mesh, "broken"), Spec = null! }] };

        // The update fails once it has made a newer index (the translator then keeps serving the model before).
        Assert.ThrowsAny<NullReferenceException>(() => first.Update(broken));
        Assert.NotNull(first.Compile(Mesh, "echo", 9090));
        Assert.True(first.CachesEndpointsOf($"{Mesh}/echo"));
    }

    [Fact]
    public void A_Service_edit_keeps_the_policies_of_destinations_that_neither_are_it_nor_route_to_it()
    {
        var (first, updated, _) = Update("echo-v2 edited");

        Assert.Same(first.Compile(Mesh, "echo", 80), updated.Compile(Mesh, "echo", 80));
        Assert.Same(first.Compile(Mesh, "echo-v1", 80), updated.Compile(Mesh, "echo-v1", 80));
        Assert.Same(first.Compile(Mesh, "10.96.0.10", 80), updated.Compile(Mesh, "10.96.0.10", 80));
        Assert.NotSame(first.Compile(Mesh, "echo-v2", 80), updated.Compile(Mesh, "echo-v2", 80));
    }

    [Fact]
    public void A_Service_edit_compiles_again_the_policies_of_routes_that_send_to_it()
    {
        var (first, updated, _) = Update("echo-v1 edited");

        Assert.NotSame(first.Compile(Mesh, "echo", 80), updated.Compile(Mesh, "echo", 80));
        Assert.Same(first.Compile(Mesh, "echo-v2", 80), updated.Compile(Mesh, "echo-v2", 80));
        Assert.Contains("\"appProtocol\":\"http2\"", updated.Compile(Mesh, "echo", 80)!.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_Service_created_at_a_cluster_IP_another_holds_takes_it_when_it_comes_first()
    {
        var (first, updated, _) = Update("echo-v3 created first at echo's cluster IP");

        Assert.Equal("echo", first.Compile(Mesh, "10.96.0.10", 80)!.ServiceName);
        Assert.Equal("echo-v3", updated.Compile(Mesh, "10.96.0.10", 80)!.ServiceName);
        Assert.Same(first.Compile(Mesh, "echo", 80), updated.Compile(Mesh, "echo", 80));
    }

    [Fact]
    public void A_cluster_IP_two_Services_claim_stays_with_the_first_and_goes_to_the_other_when_the_first_is_deleted()
    {
        // The index counts the Services that claim an address: a Service created after echo at its cluster IP does not take
        // it; once echo is deleted the other claims it alone, found without a look at every Service only when none does.
        var before = Before();
        var first = MeshModel.Build(before);
        first.CompileEach(Destinations);
        var claimed = before with { Services = [.. before.Services, Svc(Mesh, "echo-v3", "10.96.0.10", OnePort(8080))] };
        var second = first.Update(claimed);
        second.CompileEach(Destinations);
        var echoDeleted = claimed with { Services = [.. claimed.Services.Skip(1)] };
        var third = second.Update(echoDeleted);

        // And from a model built with both claiming it.
        var fromBuild = MeshModel.Build(claimed).Update(echoDeleted);

        Assert.Equal("echo", second.Compile(Mesh, "10.96.0.10", 80)!.ServiceName);
        Assert.Equal("echo-v3", third.Compile(Mesh, "10.96.0.10", 80)!.ServiceName);
        Assert.Equal("echo-v3", fromBuild.Compile(Mesh, "10.96.0.10", 80)!.ServiceName);
        second.AssertCompilesAs(MeshModel.Build(claimed), Destinations);
        third.AssertCompilesAs(MeshModel.Build(echoDeleted), Destinations);
        fromBuild.AssertCompilesAs(MeshModel.Build(echoDeleted), Destinations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_Service_edit_analyses_again_a_route_that_came_to_send_to_it(bool fromOlderModel)
    {
        // Which routes name a Service is kept along the line of updates, made at the first change of Services: a route
        // that sends to the Service later (made from the newest model, or from one older than it, which the translator
        // never does) must be analysed again when the Service changes.
        var before = Before();
        var first = MeshModel.Build(before);
        first.CompileEach(Destinations);
        var edited = After(before, "echo-v2 edited");
        var second = first.Update(edited);
        var withRoute = (fromOlderModel ? before : edited) with
        {
            Routes = [.. before.Routes, Http(Mesh, "n", Parent("echo-v2", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80)))],
        };
        var third = (fromOlderModel ? first : second).Update(withRoute);
        third.CompileEach(Destinations);
        var changed = After(withRoute, "echo-v1 edited");
        var fourth = third.Update(changed);

        Assert.Contains("\"appProtocol\":\"http2\"", fourth.Compile(Mesh, "echo-v2", 80)!.ToJson(), StringComparison.Ordinal);
        fourth.AssertCompilesAs(MeshModel.Build(changed), Destinations);
    }

    [Fact]
    public void A_route_to_a_Service_that_does_not_exist_is_analysed_again_when_it_is_created()
    {
        var (first, updated, _) = Update("echo-v3 created");

        Assert.Contains(first.StatusLines(), l => l.Contains("echo-v3", StringComparison.Ordinal) && l.Contains("BackendNotFound", StringComparison.Ordinal));
        Assert.DoesNotContain(updated.StatusLines(), l => l.Contains("BackendNotFound", StringComparison.Ordinal));
        Assert.Contains("\"name\":\"echo-v3\"", updated.Compile(Consumer, $"echo.{Mesh}", 80)!.ToJson(), StringComparison.Ordinal);
    }
}
