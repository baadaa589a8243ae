using System.Text.Json.Nodes;
using Weft.Cli.Commands;
using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Commands;

/// <summary>`weft validate`: the issue's "done when" cases, each against the upstream base manifests.</summary>
public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("weft-validate-").FullName;

    private static string Base => Path.Combine(SharedFiles.Root, "shared", "conformance", "upstream", "mesh", "manifests.yaml");
    private static string UpstreamTest(string file) => Path.Combine(SharedFiles.Root, "shared", "conformance", "upstream", "tests", "mesh", file);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(string format, params string[] paths)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = ValidateCommand.Run(paths, format, stdout, stderr, TimeProvider.System);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, $"route-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static JsonObject Condition(JsonNode status, string route, string type) =>
        status.AsArray().Single(s => (string?)s!["name"] == route)!["status"]!["parents"]![0]!["conditions"]!.AsArray()
            .Single(c => (string?)c!["type"] == type)!.AsObject();

    [Fact]
    public void Upstream_matching_route_is_Accepted_with_refs_resolved_and_yaml_output()
    {
        var (exit, output, _) = Run("yaml", Base, UpstreamTest("httproute-matching.yaml"));

        Assert.Equal(0, exit);
        Assert.Contains("name: mesh-matching", output, StringComparison.Ordinal);
        Assert.Contains("type: Accepted\n        status: \"True\"\n        reason: Accepted", output, StringComparison.Ordinal);
        Assert.Contains("type: ResolvedRefs\n        status: \"True\"\n        reason: ResolvedRefs", output, StringComparison.Ordinal);
        Assert.Contains("controllerName: weft.dev/mesh", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_upstream_mesh_manifest_validates_with_its_routes_Accepted()
    {
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(UpstreamTest("x"))!, "*.yaml"))
        {
            var (_, output, err) = Run("json", Base, file);
            Assert.True(err.Length == 0, $"{file}: {err}");
            foreach (var route in JsonNode.Parse(output)!.AsArray())
            {
                foreach (var parent in route!["status"]!["parents"]!.AsArray())
                {
                    var accepted = parent!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Accepted")!;
                    Assert.True((string?)accepted["status"] == "True", $"{file}: {route["name"]}: {accepted["message"]}");
                }
            }
        }
    }

    [Fact]
    public void Route_bound_to_a_port_the_Service_lacks_is_NoMatchingParent_and_says_which_ports_exist()
    {
        var route = Write("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: wrong-port, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 1234}]
              rules: [{backendRefs: [{name: echo-v1, port: 8080}]}]
            """);

        var (exit, output, _) = Run("json", Base, route);

        Assert.Equal(1, exit);
        var accepted = Condition(JsonNode.Parse(output)!, "wrong-port", "Accepted");
        Assert.Equal("False", (string?)accepted["status"]);
        Assert.Equal("NoMatchingParent", (string?)accepted["reason"]);
        Assert.Contains("port 1234", (string?)accepted["message"], StringComparison.Ordinal);
        Assert.Contains("80 \"http\"", (string?)accepted["message"], StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_backend_is_ResolvedRefs_False_BackendNotFound()
    {
        var route = Write("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: missing-backend, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
              rules: [{backendRefs: [{name: echo-v9, port: 8080}]}]
            """);

        var (exit, output, _) = Run("json", Base, route);

        Assert.Equal(1, exit);
        var resolved = Condition(JsonNode.Parse(output)!, "missing-backend", "ResolvedRefs");
        Assert.Equal("False", (string?)resolved["status"]);
        Assert.Equal("BackendNotFound", (string?)resolved["reason"]);
        Assert.Contains("echo-v9", (string?)resolved["message"], StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_backend_kind_is_ResolvedRefs_False_InvalidKind()
    {
        var route = Write("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: odd-kind, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
              rules: [{backendRefs: [{group: example.com, kind: Bucket, name: b}]}]
            """);

        var (exit, output, _) = Run("json", Base, route);

        Assert.Equal(1, exit);
        var resolved = Condition(JsonNode.Parse(output)!, "odd-kind", "ResolvedRefs");
        Assert.Equal("False", (string?)resolved["status"]);
        Assert.Equal("InvalidKind", (string?)resolved["reason"]);
    }

    [Fact]
    public void HTTPRoute_beside_a_GRPCRoute_on_one_Service_port_is_Conflicted()
    {
        var routes = Write("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: http-on-grpc-port, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
              rules: [{backendRefs: [{name: echo-v1, port: 7070}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: grpc-wins, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
              rules: [{backendRefs: [{name: echo-v1, port: 7070}]}]
            """);

        var (exit, output, _) = Run("json", Base, routes);

        Assert.Equal(1, exit);
        var status = JsonNode.Parse(output)!;
        var loser = Condition(status, "http-on-grpc-port", "Accepted");
        Assert.Equal("False", (string?)loser["status"]);
        Assert.Equal("Conflicted", (string?)loser["reason"]);
        Assert.Contains("grpc-wins", (string?)loser["message"], StringComparison.Ordinal);
        Assert.Equal("True", (string?)Condition(status, "grpc-wins", "Accepted")["status"]);
    }

    [Fact]
    public void Route_status_names_the_l4_workloads_the_Deployments_would_run_as_weft_up_does()
    {
        // An l4 client Deployment, an HTTPRoute on every port of echo and a TCPRoute on 9090: the HTTPRoute skips the l4
        // pod, and the TCPRoute, which only the HTTPRoute outranks (D1), applies to it.
        var routes = Write("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: l4ns, labels: {weft.dev/mesh: l4}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: client, namespace: l4ns}
            spec:
              replicas: 1
              selector: {matchLabels: {app: client}}
              template:
                metadata: {labels: {app: client}}
                spec: {containers: [{name: client, image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1}]}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: every-port, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo}]
              rules: [{backendRefs: [{name: echo-v1, port: 80}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: TCPRoute
            metadata: {name: tcp-9090, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 9090}]
              rules: [{backendRefs: [{name: echo-v2, port: 9090}]}]
            """);

        var (exit, output, err) = Run("json", Base, routes);

        Assert.True(exit == 0, err);
        var status = JsonNode.Parse(output)!;
        Assert.Matches(@"Not applied to traffic from l4 workloads \(weft.dev/mesh: l4: [^)]*\): l4ns/client\.", (string?)Condition(status, "every-port", "Accepted")["message"]);
        var tcp = Condition(status, "tcp-9090", "Accepted");
        Assert.Equal(("True", "Accepted"), ((string?)tcp["status"], (string?)tcp["reason"]));
        Assert.Matches(@"applied only to traffic from l4 workloads \([^)]*\): l4ns/client\.", (string?)tcp["message"]);
    }

    [Fact]
    public void More_Services_than_a_local_cluster_addresses_are_validated_without_the_Deployments_pods_and_a_warning()
    {
        var services = string.Join("---\n", Enumerable.Range(0, 255).Select(i => $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: s{{i}}, namespace: many}
            spec: {ports: [{port: 80}]}

            """));
        var route = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: many}
            spec:
              parentRefs: [{group: "", kind: Service, name: s0}]
              rules: [{backendRefs: [{name: s1, port: 80}]}]
            """;

        var (exit, output, err) = Run("json", Write(services + "---\n" + route));

        Assert.True(exit == 0, err);
        Assert.Contains("warning: the Deployments' pods are left out of the statuses: the local cluster has no ClusterIP left", err, StringComparison.Ordinal);
        Assert.Equal("True", (string?)Condition(JsonNode.Parse(output)!, "r", "Accepted")["status"]);
    }

    [Fact]
    public void Object_breaking_a_CEL_rule_is_an_error_and_not_used()
    {
        var route = Write("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: no-port, namespace: gateway-conformance-mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
              rules: [{backendRefs: [{name: echo-v1}]}]
            """);

        var (exit, output, err) = Run("json", Base, route);

        Assert.Equal(1, exit);
        Assert.Contains("Must have port for Service reference", err, StringComparison.Ordinal);
        Assert.Contains(":6", err, StringComparison.Ordinal);
        Assert.DoesNotContain("no-port", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mesh_setting_Weft_skips_is_an_error_naming_the_object_and_exits_1()
    {
        var manifests = Write(SkippedSettings.Manifests);

        var (exit, _, err) = Run("json", Base, manifests);

        Assert.Equal(1, exit);
        Assert.Contains($"error: {SkippedSettings.NamespaceProblem}", err, StringComparison.Ordinal);
        Assert.Contains($"error: {SkippedSettings.DeploymentProblem}", err, StringComparison.Ordinal);
        Assert.DoesNotContain("weft.dev/mtls", err, StringComparison.Ordinal);

        File.WriteAllText(manifests, File.ReadAllText(manifests).Replace("registry_only", "registry-only", StringComparison.Ordinal).Replace("l8", "l4", StringComparison.Ordinal));
        var (fixedExit, _, fixedErr) = Run("json", Base, manifests);
        Assert.True(fixedExit == 0, fixedErr);
    }

    [Fact]
    public void A_namespace_meshed_by_annotation_alone_is_a_warning_about_the_injector_and_still_exits_0()
    {
        var manifests = Write("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, annotations: {weft.dev/mesh: l7}}
            """);

        var (exit, _, err) = Run("json", Base, manifests);

        Assert.True(exit == 0, err);
        Assert.Contains("warning: Namespace shop: annotation weft.dev/mesh: 'l7' meshes the namespace at l7, but in a cluster the sidecar injector's webhook that fails closed", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_input_exits_2()
    {
        Assert.Equal(2, Run("table", Path.Combine(_dir, "does-not-exist.yaml")).Exit);
        Assert.Equal(2, Run("table", Write("kind: [unclosed")).Exit);
    }

    [Fact]
    public void YAML_the_parser_itself_fails_on_is_a_syntax_error_with_file_and_line_and_exits_2()
    {
        // Issue 15, finding 7: YamlDotNet threw InvalidOperationException on this text.
        var file = Write("a: [b\nc: d\n");

        var (exit, _, err) = Run("table", file);

        Assert.Equal(2, exit);
        Assert.StartsWith($"error: {file}:2:", err, StringComparison.Ordinal);
        Assert.Contains("syntax error", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_weft_process_exits_2_on_YAML_the_parser_fails_on_and_prints_no_stack_trace()
    {
        var file = Write("a: [b\nc: d\n");
        var weft = WeftLauncher.Current().Command(["validate", file]);

        var run = await CommandRun.RunAsync(weft.FileName, weft.Arguments);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{file}:2:", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_5_MB_annotation_is_invalid_and_exits_1()
    {
        var file = Write($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  annotations:\n    big: \"{new string('x', 5 * 1024 * 1024)}\"\n");

        var (exit, _, err) = Run("table", file);

        Assert.Equal(1, exit);
        Assert.Contains("metadata.annotations: Too long: may not be more than 262144 bytes", err, StringComparison.Ordinal);
    }

    /// <summary>Two BackendTLSPolicies on echo-v1 (a older than b), an XBackend whose CA ConfigMap is missing and a route to it, and an XBackendTrafficPolicy on it.</summary>
    private const string BackendObjects = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: BackendTLSPolicy
        metadata: {name: a, namespace: gateway-conformance-mesh, creationTimestamp: "2025-01-01T00:00:00Z"}
        spec:
          targetRefs: [{group: "", kind: Service, name: echo-v1}]
          validation: {hostname: echo-v1.example.test, wellKnownCACertificates: System}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: BackendTLSPolicy
        metadata: {name: b, namespace: gateway-conformance-mesh, creationTimestamp: "2025-01-02T00:00:00Z"}
        spec:
          targetRefs: [{group: "", kind: Service, name: echo-v1}]
          validation: {hostname: echo-v1.example.test, wellKnownCACertificates: System}
        ---
        apiVersion: gateway.networking.x-k8s.io/v1alpha1
        kind: XBackend
        metadata: {name: api, namespace: gateway-conformance-mesh}
        spec:
          type: ExternalHostname
          externalHostname: {hostname: api.example.test}
          port: {port: 443}
          tls: {mode: ServerOnly, validation: {hostname: api.example.test, caCertificateRefs: [{group: "", kind: ConfigMap, name: missing-ca}]}}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: to-api, namespace: gateway-conformance-mesh}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
          rules: [{backendRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: api}]}]
        ---
        apiVersion: gateway.networking.x-k8s.io/v1alpha1
        kind: XBackendTrafficPolicy
        metadata: {name: budget, namespace: gateway-conformance-mesh}
        spec:
          targetRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: api}]
          retryConstraint: {budget: {percent: 5}}
        """;

    [Fact]
    public void Newer_BackendTLSPolicy_is_Conflicted_in_the_json_and_exits_1()
    {
        var (exit, output, err) = Run("json", Base, Write(BackendObjects));

        Assert.True(err.Length == 0, err);
        Assert.Equal(1, exit);
        var all = JsonNode.Parse(output)!.AsArray();
        JsonObject Ancestor(string kind, string name) =>
            all.Single(s => (string?)s!["kind"] == kind && (string?)s["name"] == name)!["status"]!["ancestors"]![0]!.AsObject();
        JsonNode Accepted(JsonObject entry) => entry["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Accepted")!;
        var loser = Ancestor("BackendTLSPolicy", "b");
        Assert.Equal("""{"group":"","kind":"Service","namespace":"gateway-conformance-mesh","name":"echo-v1"}""", loser["ancestorRef"]!.ToJsonString());
        Assert.Equal("weft.dev/mesh", (string?)loser["controllerName"]);
        Assert.Equal(("False", "Conflicted"), ((string?)Accepted(loser)["status"], (string?)Accepted(loser)["reason"]));
        Assert.Contains("BackendTLSPolicy gateway-conformance-mesh/a", (string?)Accepted(loser)["message"], StringComparison.Ordinal);
        Assert.Equal("True", (string?)Accepted(Ancestor("BackendTLSPolicy", "a"))["status"]);
        Assert.Equal("True", (string?)Accepted(Ancestor("XBackendTrafficPolicy", "budget"))["status"]);
        var parent = all.Single(s => (string?)s!["kind"] == "XBackend")!["status"]!["parents"]!.AsArray().Single()!.AsObject();
        Assert.Equal("echo", (string?)parent["parentRef"]!["name"]);
        Assert.Equal("InvalidCACertificateRef", (string?)Accepted(parent)["reason"]);
    }

    [Fact]
    public void Table_output_shows_XBackends_and_backend_policies_with_their_reasons()
    {
        var (exit, output, _) = Run("table", Base, Write(BackendObjects));

        Assert.Equal(1, exit);
        Assert.Contains("XBackend gateway-conformance-mesh/api (generation 1)\n  parent Service gateway-conformance-mesh/echo\n    ✗ Accepted         False   InvalidCACertificateRef", output, StringComparison.Ordinal);
        Assert.Contains("BackendTLSPolicy gateway-conformance-mesh/b (generation 1)\n  target Service gateway-conformance-mesh/echo-v1\n    ✗ Accepted         False   Conflicted", output, StringComparison.Ordinal);
        Assert.Contains("XBackendTrafficPolicy gateway-conformance-mesh/budget (generation 1)\n  target XBackend.gateway.networking.x-k8s.io gateway-conformance-mesh/api\n    ✓ Accepted         True    Accepted", output, StringComparison.Ordinal);
    }

    [Fact]
    public void XBackend_no_route_refers_to_and_an_accepted_policy_exit_0()
    {
        var objects = Write("""
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XBackend
            metadata: {name: api, namespace: gateway-conformance-mesh}
            spec: {type: ExternalHostname, externalHostname: {hostname: api.example.test}, port: {port: 80}}
            ---
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XBackendTrafficPolicy
            metadata: {name: budget, namespace: gateway-conformance-mesh}
            spec:
              targetRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: api}]
              retryConstraint: {budget: {percent: 5}}
            """);

        var (exit, output, _) = Run("table", Base, objects);

        Assert.Equal(0, exit);
        Assert.Contains("XBackend gateway-conformance-mesh/api (generation 1)\n  no mesh route refers to it", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_output_shows_each_condition_with_its_reason()
    {
        var (exit, output, _) = Run("table", Base, UpstreamTest("httproute-weight.yaml"));

        Assert.Equal(0, exit);
        Assert.Contains("HTTPRoute gateway-conformance-mesh/mesh-weighted-backends", output, StringComparison.Ordinal);
        Assert.Contains("Accepted         True    Accepted", output, StringComparison.Ordinal);
    }
}

/// <summary>`weft status` reads route statuses back from the control plane's JSON.</summary>
public sealed class StatusJsonTests
{
    [Fact]
    public void Statuses_read_back_as_written()
    {
        var parent = new Weft.Api.Model.ParentReference { Group = "", Kind = "Service", Namespace = "shop", Name = "cart", Port = 80, SectionName = "http" };
        var written = new[]
        {
            new Weft.Routing.RouteStatus("HTTPRoute", "shop", "canary", 3,
            [
                new Weft.Routing.RouteParentStatus(parent, "weft.dev/mesh",
                [
                    new Weft.Routing.RouteCondition("Accepted", "False", "NoMatchingParent", "parentRef port 1234 matches no port of Service shop/cart (80 \"http\")", 3),
                ]),
            ]),
        };

        var read = Weft.Discovery.StatusJson.Read(Weft.Discovery.StatusJson.ToUtf8Bytes(written, DateTimeOffset.UnixEpoch));

        var route = Assert.Single(read);
        Assert.Equal(("HTTPRoute", "shop", "canary", 3L), (route.Kind, route.Namespace, route.Name, route.Generation));
        Assert.Equal(parent, route.Parents[0].ParentRef);
        Assert.Equal(written[0].Parents[0].Conditions, route.Parents[0].Conditions);
    }
}
