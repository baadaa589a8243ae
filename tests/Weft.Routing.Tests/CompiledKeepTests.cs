using Weft.Routing.Internal;
using Weft.Routing.Policy;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests;

/// <summary>
/// What a model keeps of the policies it compiles. A sidecar asks for whatever its app dials and a model can live for
/// hours, so only what the model bounds is kept: otherwise an app dialling made-up hosts, or one pod IP at every port,
/// grows the control plane's memory until the next model.
/// </summary>
public class CompiledKeepTests
{
    [Fact]
    public void Destinations_the_model_does_not_know_are_answered_and_not_kept()
    {
        var model = Model();
        for (var i = 0; i < 2_000; i++)
        {
            Assert.Null(model.Compile(Mesh, $"host-{i}.example.test", 443));
            Assert.Null(model.Compile(Mesh, "echo", 10_000 + i)); // a port the Service does not have
            Assert.Null(model.Compile(Mesh, $"10.9.{i / 250}.{i % 250}", 80, "l4")); // an address nobody has
            Assert.Null(model.Compile(Consumer, $"echo.{Mesh}.svc.cluster.local.{i}", 80));
        }

        Assert.Equal(0, model.CompiledCount);
    }

    [Fact]
    public void Spellings_of_a_host_that_differ_only_in_case_blanks_a_final_dot_or_brackets_share_one_kept_policy()
    {
        var model = Model();
        var policy = model.Compile(Mesh, "echo", 80)!;
        foreach (var spelling in new[] { "ECHO", "Echo.", " echo ", "eChO." })
        {
            Assert.Same(policy, model.Compile(Mesh, spelling, 80));
        }

        // Every one of the 16 ways to case "echo" (of 2^n for a longer name): one kept policy.
        for (var bits = 0; bits < 16; bits++)
        {
            var spelling = new string([.. "echo".Select((c, i) => ((bits >> i) & 1) == 1 ? char.ToUpperInvariant(c) : c)]);
            Assert.Same(policy, model.Compile(Mesh, spelling, 80));
            Assert.Equal(PolicyProtocol.Tcp, model.Compile(Mesh, spelling, 80, "l4")!.Protocol);
        }

        Assert.Equal(2, model.CompiledCount); // l7 and l4
        Assert.Same(model.Compile(Mesh, "10.96.0.10", 80), model.Compile(Mesh, "10.96.0.10.", 80)); // a ClusterIP
        Assert.Same(model.Compile(Mesh, "10.0.0.1", 8080), model.Compile(Mesh, "[10.0.0.1]", 8080)); // a pod IP
    }

    [Fact]
    public void A_host_in_its_canonical_spelling_is_its_own_key()
    {
        // The watch loop asks for every watched destination on every model: canonical hosts cost no copy.
        const string host = "echo.gateway-conformance-mesh.svc.cluster.local";
        Assert.Same(host, HostName.Canonical(host));
        Assert.Equal("echo", HostName.Canonical(" Echo. "));
        Assert.Equal("fd00::1", HostName.Canonical("[FD00::1]"));
        Assert.Equal("fd00::1", HostName.Canonical(" [FD00::1]. "));
        Assert.Equal("[echo.]", HostName.Canonical("[echo.]")); // brackets hold an IP address, nothing else
    }

    [Theory]
    [InlineData("[echo.]")]
    [InlineData("[ echo ]")]
    [InlineData("[[::1]]")]
    [InlineData(" [FD00::1]. ")]
    [InlineData("echo..")]
    [InlineData("[10.96.0.10.]")]
    [InlineData("[[Echo]. ]")]
    [InlineData(" [[FD00::1].]. ")]
    public void A_canonical_host_is_its_own_canonical_host(string host)
    {
        var once = HostName.Canonical(host);
        Assert.Equal(once, HostName.Canonical(once));
    }

    [Fact]
    public void A_host_longer_than_any_the_model_can_know_is_unknown_and_a_long_one_is_read_in_one_pass()
    {
        var model = Model();
        var tooLong = new string('e', MeshModel.MaxHostLength + 1);
        Assert.Null(model.Compile(Mesh, tooLong, 80));
        Assert.Null(model.Compile(Mesh, tooLong, 80, "l4"));
        Assert.Equal(0, model.CompiledCount);
        Assert.Same(model.Compile(Mesh, "echo", 80), model.Compile(Mesh, "echo" + new string('.', 300), 80)); // its canonical host is short

        // Blanks and dots alternating at the end, 100,000 of them: trimmed together, not a pass each.
        Assert.Equal("echo", HostName.Canonical("echo" + string.Concat(Enumerable.Repeat(" .", 50_000))));
        Assert.Equal("[fe80::1%eth0]", HostName.Canonical("[FE80::1%eth0]")); // a zone: no mesh address has one
    }

    [Fact]
    public void Brackets_and_dots_around_a_known_host_make_no_new_kept_policy()
    {
        var model = Model();
        var policy = model.Compile(Mesh, "echo", 80)!;
        for (var dots = 1; dots <= 50; dots++)
        {
            var trailing = new string('.', dots);
            Assert.Same(policy, model.Compile(Mesh, "echo" + trailing, 80));
            Assert.Null(model.Compile(Mesh, $"[echo{trailing}]", 80));
            Assert.Null(model.Compile(Mesh, $"[echo{new string(' ', dots)}]", 80));
            Assert.Null(model.Compile(Mesh, $"[10.96.0.10{trailing}]", 80, "l4"));
        }

        Assert.Equal(1, model.CompiledCount);
    }

    [Fact]
    public void A_pod_IP_at_a_port_no_Service_targets_is_kept_up_to_a_bound_and_answered_beyond_it()
    {
        var model = Model();
        var first = model.Compile(Mesh, "10.0.0.1", 1)!;
        Assert.Same(first, model.Compile(Mesh, "10.0.0.1", 1));
        for (var port = 2; port <= MeshModel.MaxLooseCompiled + 100; port++)
        {
            Assert.NotNull(model.Compile(Mesh, "10.0.0.1", port));
        }

        Assert.Equal(MeshModel.MaxLooseCompiled + 4, model.CompiledCount); // and the four ports the Services target (7070, 8080, 8443, 9090)
        var beyond = model.Compile(Mesh, "10.0.0.2", 60_000)!;
        Assert.Equal((60_000, "10.0.0.2"), (beyond.Port, beyond.DefaultBackend!.Endpoints.Single().Address));
        Assert.NotSame(beyond, model.Compile(Mesh, "10.0.0.2", 60_000));

        // A port a Service targets, and a Service, are bounded by the model: still kept.
        Assert.Same(model.Compile(Mesh, "10.0.0.2", 8080), model.Compile(Mesh, "10.0.0.2", 8080));
        Assert.Same(model.Compile(Consumer, "echo-v1.gateway-conformance-mesh", 80), model.Compile(Consumer, "echo-v1.gateway-conformance-mesh", 80));
        Assert.Equal(MeshModel.MaxLooseCompiled + 6, model.CompiledCount);
    }

    [Fact]
    public void Loose_policies_carried_to_the_next_model_count_against_its_bound()
    {
        var before = Base();
        var model = MeshModel.Build(before);
        for (var port = 10_001; port <= 10_000 + MeshModel.MaxLooseCompiled; port++)
        {
            model.Compile(Mesh, "10.0.0.1", port);
        }

        var next = model.Update(before with { Routes = [Http(Mesh, "r", Parent("echo", port: 80), Rule(Prefix("/"), Backend("echo-v1", 80)))] });
        Assert.Equal(MeshModel.MaxLooseCompiled, next.CompiledCount);
        Assert.Same(model.Compile(Mesh, "10.0.0.1", 10_007), next.Compile(Mesh, "10.0.0.1", 10_007));
        Assert.NotSame(next.Compile(Mesh, "10.0.0.1", 60_000), next.Compile(Mesh, "10.0.0.1", 60_000));
    }
}
