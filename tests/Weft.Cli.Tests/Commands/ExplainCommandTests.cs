using Weft.Cli.Commands;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Commands;

/// <summary>`weft explain`: the printing and argument handling; the reasoning itself is tested in Weft.Routing.Tests.</summary>
public sealed class ExplainCommandTests
{
    private static readonly string[] Manifests =
    [
        Path.Combine(SharedFiles.Root, "shared", "conformance", "upstream", "mesh", "manifests.yaml"),
        Path.Combine(SharedFiles.Root, "shared", "conformance", "upstream", "tests", "mesh", "httproute-matching.yaml"),
        Path.Combine(SharedFiles.Root, "shared", "conformance", "upstream", "tests", "mesh", "mesh-consumer-route.yaml"),
    ];

    private static (int Exit, string Out, string Err) Run(string from, string url, params string[] headers)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = ExplainCommand.Run(from, "GET", url, headers, Manifests, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Header_match_beats_prefix_match_and_the_deciding_step_is_named()
    {
        var (exit, output, _) = Run("gateway-conformance-mesh", "http://echo/", "Version: two");

        Assert.Equal(0, exit);
        Assert.Contains("view:     producer", output, StringComparison.Ordinal);
        Assert.Contains("HTTPRoute gateway-conformance-mesh/mesh-matching rules[1]", output, StringComparison.Ordinal);
        Assert.Contains("also matched", output, StringComparison.Ordinal);
        Assert.Contains("echo-v2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Consumer_namespace_gets_its_consumer_route_and_says_why()
    {
        var (exit, output, _) = Run("gateway-conformance-mesh-consumer", "http://echo-v1.gateway-conformance-mesh/");

        Assert.Equal(0, exit);
        Assert.Contains("view:     consumer", output, StringComparison.Ordinal);
        Assert.Contains("mesh-echo-add-header", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Producer_namespace_does_not_see_the_consumer_route()
    {
        var (_, output, _) = Run("gateway-conformance-mesh", "http://echo-v1/");

        Assert.DoesNotContain("+ consumer", output, StringComparison.Ordinal);
        Assert.Contains("view:     none", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_host_says_no_frontend_and_exits_1()
    {
        var (exit, output, _) = Run("gateway-conformance-mesh", "http://nope/");

        Assert.Equal(1, exit);
        Assert.Contains("frontend:", output, StringComparison.Ordinal);
        Assert.Contains("outside the mesh: the client's sidecar forwards it as addressed, nothing of the mesh added (outbound policy allow-any, from the mesh default (--default-outbound-policy))",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_destination_outside_the_mesh_is_refused_under_the_registry_only_mesh_default()
    {
        var stdout = new StringWriter();

        var exit = ExplainCommand.Run("gateway-conformance-mesh", "GET", "http://192.0.2.10/", [], Manifests, stdout, TextWriter.Null, defaultOutboundPolicy: "registry-only");

        Assert.Equal(1, exit);
        Assert.Contains("outcome:  outside the mesh: refused by the client's sidecar, 403, nothing sent (outbound policy registry-only, from the mesh default (--default-outbound-policy))",
            stdout.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://echo/a%20b?x=1", "echo", 80, "/a%20b?x=1")]
    [InlineData("echo.gateway-conformance-mesh:8080/v2", "echo.gateway-conformance-mesh", 8080, "/v2")]
    [InlineData("http://10.0.0.1", "10.0.0.1", 80, "/")]
    public void Url_keeps_path_and_query_as_written(string url, string host, int port, string pathAndQuery)
    {
        Assert.True(ExplainCommand.TryParseUrl(url, out var request, out _));
        Assert.Equal(host, request.Host);
        Assert.Equal(port, request.Port);
        Assert.Equal(pathAndQuery, request.PathAndQuery);
    }

    [Fact]
    public void Malformed_header_is_an_error()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, ExplainCommand.Run("ns", "GET", "http://echo/", ["no-colon"], Manifests, TextWriter.Null, stderr));
        Assert.Contains("Name: value", stderr.ToString(), StringComparison.Ordinal);
    }

    /// <summary>prod: web (one pod, strict mTLS) with an HTTPRoute on x-canary, and l4pod (template annotation l4); l4ns (label l4) and offns (label off) with a client each.</summary>
    private const string Levels = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: l4ns, labels: {weft.dev/mesh: l4}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: offns, labels: {weft.dev/mesh: "off"}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: prod}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: prod}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1, args: [--port=8080]}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: prod}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: 8080, appProtocol: http}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web-canary, namespace: prod}
        spec:
          parentRefs: [{group: "", kind: Service, name: web, port: 80}]
          rules: [{matches: [{headers: [{name: x-canary, value: "true"}]}], backendRefs: [{name: web, port: 80}]}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: l4pod, namespace: prod}
        spec:
          selector: {matchLabels: {app: l4pod}}
          template:
            metadata: {labels: {app: l4pod}, annotations: {weft.dev/mesh: l4}}
            spec: {containers: [{name: c, image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1, args: [--port=8080]}]}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: client, namespace: l4ns}
        spec:
          selector: {matchLabels: {app: client}}
          template:
            metadata: {labels: {app: client}}
            spec: {containers: [{name: c, image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1, args: [--port=8080]}]}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: client, namespace: offns}
        spec:
          selector: {matchLabels: {app: client}}
          template:
            metadata: {labels: {app: client}}
            spec: {containers: [{name: c, image: registry.k8s.io/gateway-api/echo-advanced:v1.5.1, args: [--port=8080]}]}
        """;

    private static string ExplainLevels(string from, string url)
    {
        var dir = Directory.CreateTempSubdirectory("weft-explain-levels-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "levels.yaml"), Levels);
            var stdout = new StringWriter();
            Assert.Equal(0, ExplainCommand.Run(from, "GET", url, ["x-canary: true"], [dir], stdout, TextWriter.Null));
            return stdout.ToString();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("l4ns/client", "(namespace l4ns label weft.dev/mesh)")] // by its namespace's label, not the annotation its pod records
    [InlineData("prod/l4pod", "(Deployment prod/l4pod pod template annotation weft.dev/mesh)")] // by its template's annotation, in an l7 namespace
    [InlineData("l4ns", "(namespace l4ns label weft.dev/mesh)")]
    public void An_l4_caller_gets_no_HTTPRoute_its_connection_goes_to_the_Service_s_endpoints(string from, string source)
    {
        var output = ExplainLevels(from, "http://web.prod/");

        Assert.Contains($"level:    l4 {source}", output, StringComparison.Ordinal);
        Assert.Contains("  - producer HTTPRoute prod/web-canary: not applied: the caller is at level l4, for which HTTPRoutes do not exist", output, StringComparison.Ordinal);
        Assert.DoesNotContain("matched:", output, StringComparison.Ordinal);
        Assert.Contains("protocol: tcp: the caller is at level l4", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_caller_without_a_sidecar_has_no_identity_and_the_strict_mTLS_pod_refuses_it()
    {
        var output = ExplainLevels("offns/client", "http://web.prod/");

        Assert.Contains("level:    off (namespace offns label weft.dev/mesh)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("caller:", output, StringComparison.Ordinal);
        Assert.Contains("  - producer HTTPRoute prod/web-canary: not applied: the caller has no sidecar", output, StringComparison.Ordinal);
        Assert.Contains("outcome:  kube-proxy sends the connection to one of the Service's 1 endpoint(s), picked at random: refused: the pod's sidecar is strict mTLS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_caller_whose_template_and_namespace_set_no_level_is_l7_by_the_mesh_default_not_by_its_pod_s_recorded_annotation()
    {
        var output = ExplainLevels("prod/web", "http://web.prod/"); // neither prod nor web's template says weft.dev/mesh

        Assert.Contains("level:    l7 (the mesh default)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("annotation weft.dev/mesh)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_running_mesh_the_addresses_and_pod_names_are_said_to_be_illustrative()
    {
        var output = ExplainLevels("l4ns/client", "http://web.prod/");

        Assert.Contains("addresses: no weft up runs these manifests: ClusterIPs, pod IPs and pod names are explain's own, illustrative", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_weft_up_running_the_manifests_explain_uses_its_ClusterIPs_pod_IPs_and_pod_names()
    {
        var dir = Directory.CreateTempSubdirectory("weft-explain-running-").FullName;
        var state = StateFile.PathFor(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "levels.yaml"), Levels);
            PodState Pod(string ns, string name, string deployment, string ip) =>
                new() { Namespace = ns, Name = name, Deployment = deployment, IP = ip, Ready = true, ServiceAccount = "default", Sidecar = SidecarPorts.Default };
            StateFile.Write(state, new MeshState
            {
                Pid = Environment.ProcessId, // alive while the test runs, as weft up is while it serves
                ManifestDirectory = dir,
                ControlPlane = "https://127.0.0.1:1",
                AddressBlock = "198.18.0.0/15",
                Ready = true,
                Updated = DateTimeOffset.UtcNow,
                Services = [new ServiceState { Namespace = "prod", Name = "web", ClusterIP = "198.19.107.1", Ports = [new ServicePortState { Name = "http", Port = 80, TargetPort = "8080" }] }],
                Pods = [Pod("prod", "web-6d5f7c9b8-x2k4q", "web", "198.18.0.7"), Pod("l4ns", "client-7c9d8f6b5-m3n8p", "client", "198.18.0.9")],
            });
            var stdout = new StringWriter();

            var exit = ExplainCommand.Run("l4ns/client", "GET", "http://198.19.107.1/", [], [dir], stdout, TextWriter.Null);

            var output = stdout.ToString();
            Assert.Equal(0, exit);
            Assert.Contains("frontend: 198.19.107.1 is the ClusterIP of Service prod/web", output, StringComparison.Ordinal);
            Assert.Contains("level:    l4 (namespace l4ns label weft.dev/mesh)", output, StringComparison.Ordinal);
            Assert.Contains("198.18.0.7:8080 (prod/web-6d5f7c9b8-x2k4q)", output, StringComparison.Ordinal);
            Assert.Contains($"addresses: those of the weft up running {dir} (process {Environment.ProcessId}): its ClusterIPs, pod IPs and pod names", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(Path.GetDirectoryName(state)!, recursive: true);
        }
    }

    [Fact]
    public void An_l4_caller_s_connection_is_relayed_as_tcp_inside_mTLS_not_sent_as_http()
    {
        var output = ExplainLevels("l4ns/client", "http://web.prod/");

        var backend = output.Split('\n').Single(l => l.StartsWith("backend:", StringComparison.Ordinal));
        Assert.Contains("(no route applies, gamma-spec C1): tcp, its bytes relayed as sent, inside mTLS to the pod's sidecar, to 127.", backend, StringComparison.Ordinal);
        Assert.DoesNotContain("http to", backend, StringComparison.Ordinal);
    }

    [Fact]
    public void An_l4_caller_s_HTTP_request_outside_the_mesh_under_registry_only_gets_403_because_its_sidecar_reads_the_first_bytes()
    {
        var output = ExplainLevelsExit(1, "l4ns/client", "http://192.0.2.10/", defaultOutboundPolicy: "registry-only");

        Assert.Contains("outcome:  outside the mesh: refused by the client's sidecar, 403, nothing sent (outbound policy registry-only, from the mesh default (--default-outbound-policy)); "
            + "at level l4 too: the caller's sidecar has no policy for this destination, so it reads the first bytes: an HTTP request gets this answer, other bytes (a TLS ClientHello, opaque TCP) get the connection closed",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gRPC_call_outside_the_mesh_under_registry_only_is_answered_PERMISSION_DENIED_not_403()
    {
        var stdout = new StringWriter();

        var exit = ExplainCommand.Run("gateway-conformance-mesh", "GET", "grpc://192.0.2.10:9000/", [], Manifests, stdout, TextWriter.Null, defaultOutboundPolicy: "registry-only");

        Assert.Equal(1, exit);
        Assert.Contains("outcome:  outside the mesh: refused by the client's sidecar, gRPC PERMISSION_DENIED, nothing sent (outbound policy registry-only", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_weft_up_running_with_mtls_default_permissive_a_pod_without_an_mtls_label_accepts_a_caller_without_a_sidecar()
    {
        var output = WithRunningMesh(mtlsDefault: "permissive", dir => Explain("offns/client", "http://web.prod/", [dir]));

        Assert.Contains("outcome:  kube-proxy sends the connection to one of the Service's 1 endpoint(s), picked at random: accepted in plaintext by the pod's sidecar (permissive mTLS), the caller unauthenticated", output, StringComparison.Ordinal);
        Assert.Contains("(mTLS mode from the mesh default (--mtls-default))", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_dir_and_no_PATH_explain_reads_the_manifests_and_addresses_of_the_weft_up_running_that_directory()
    {
        var (output, dir) = WithRunningMesh(null, dir =>
        {
            var stdout = new StringWriter();
            Assert.Equal(0, ExplainCommand.Run("l4ns/client", "GET", "http://198.19.107.1/", [], [], stdout, TextWriter.Null, meshDirectory: dir));
            return (stdout.ToString(), dir);
        });

        Assert.Contains("frontend: 198.19.107.1 is the ClusterIP of Service prod/web", output, StringComparison.Ordinal);
        Assert.Contains($"addresses: those of the weft up running {dir} (process {Environment.ProcessId})", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_state_FILE_explain_uses_that_mesh_s_addresses_for_manifests_given_as_files()
    {
        var (output, dir) = WithRunningMesh(null, dir =>
        {
            var stdout = new StringWriter();
            Assert.Equal(0, ExplainCommand.Run("l4ns/client", "GET", "http://198.19.107.1/", [], [Path.Combine(dir, "levels.yaml")], stdout, TextWriter.Null,
                statePath: StateFile.PathFor(dir)));
            return (stdout.ToString(), dir);
        });

        Assert.Contains("198.18.0.7:8080 (prod/web-6d5f7c9b8-x2k4q)", output, StringComparison.Ordinal);
        Assert.Contains($"addresses: those of the weft up running {dir} (process {Environment.ProcessId})", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_dir_naming_no_running_mesh_explain_fails_as_weft_curl_does()
    {
        var dir = Directory.CreateTempSubdirectory("weft-explain-none-").FullName;
        try
        {
            var stderr = new StringWriter();

            var exit = ExplainCommand.Run("prod", "GET", "http://web.prod/", [], [], TextWriter.Null, stderr, meshDirectory: dir);

            Assert.Equal(2, exit);
            Assert.Equal($"weft explain: {StateFile.Find(null, dir).Error}", stderr.ToString().TrimEnd());
            Assert.Contains("no running local mesh: cannot read state file", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Without_PATH_and_with_several_meshes_running_explain_asks_which_as_weft_curl_does()
    {
        var (stderr, first, second) = WithRunningMesh(null, first => WithRunningMesh(null, second =>
        {
            var err = new StringWriter();
            Assert.Equal(2, ExplainCommand.Run("prod", "GET", "http://web.prod/", [], [], TextWriter.Null, err));
            return (err.ToString(), first, second);
        }));

        Assert.StartsWith("weft explain: several local meshes are running; pick one with --dir DIR (the directory weft up runs) or --state FILE:", stderr, StringComparison.Ordinal);
        Assert.Contains($"  --dir {first}   (--state {StateFile.PathFor(first)})", stderr, StringComparison.Ordinal);
        Assert.Contains($"  --dir {second}   (--state {StateFile.PathFor(second)})", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Mtls_default_permissive_makes_a_pod_without_an_mtls_label_accept_a_caller_without_a_sidecar()
    {
        var dir = Directory.CreateTempSubdirectory("weft-explain-levels-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "levels.yaml"), Levels);
            var stdout = new StringWriter();

            Assert.Equal(0, ExplainCommand.Run("offns/client", "GET", "http://web.prod/", [], [dir], stdout, TextWriter.Null, defaultMtls: "Permissive"));

            Assert.Contains("accepted in plaintext by the pod's sidecar (permissive mTLS), the caller unauthenticated", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("(mTLS mode from the mesh default (--mtls-default))", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Mtls_default_given_is_taken_over_the_running_mesh_s()
    {
        var output = WithRunningMesh(mtlsDefault: "permissive", dir =>
        {
            var stdout = new StringWriter();
            Assert.Equal(0, ExplainCommand.Run("offns/client", "GET", "http://web.prod/", [], [dir], stdout, TextWriter.Null, defaultMtls: "strict"));
            return stdout.ToString();
        });

        Assert.Contains("refused: the pod's sidecar is strict mTLS and the caller has no sidecar", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_weft_up_running_with_default_outbound_policy_registry_only_a_destination_outside_the_mesh_is_refused()
    {
        var output = WithRunningMesh(null, dir =>
        {
            var stdout = new StringWriter();
            Assert.Equal(1, ExplainCommand.Run("l4ns/client", "GET", "http://192.0.2.10/", [], [dir], stdout, TextWriter.Null));
            return stdout.ToString();
        }, defaultOutboundPolicy: "registry-only");

        Assert.Contains("outcome:  outside the mesh: refused by the client's sidecar, 403, nothing sent (outbound policy registry-only, from the mesh default (--default-outbound-policy))",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_outbound_policy_given_is_taken_over_the_running_mesh_s()
    {
        var output = WithRunningMesh(null, dir =>
        {
            var stdout = new StringWriter();
            Assert.Equal(1, ExplainCommand.Run("l4ns/client", "GET", "http://192.0.2.10/", [], [dir], stdout, TextWriter.Null, defaultOutboundPolicy: "Allow-Any"));
            return stdout.ToString();
        }, defaultOutboundPolicy: "registry-only");

        Assert.Contains("outcome:  outside the mesh: the client's sidecar forwards it as addressed, nothing of the mesh added (outbound policy allow-any, from the mesh default (--default-outbound-policy))",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_weft_up_running_with_default_inbound_policy_deny_a_pod_without_an_ALLOW_policy_refuses_the_caller()
    {
        var output = WithRunningMesh(null, dir => Explain("l4ns/client", "http://web.prod/", [dir]), defaultInboundPolicy: "deny");

        Assert.Contains("  authz:  DENIED at prod/web-6d5f7c9b8-x2k4q: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("  authz:  allowed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_inbound_policy_given_is_taken_over_the_running_mesh_s()
    {
        var output = WithRunningMesh(null, dir =>
        {
            var stdout = new StringWriter();
            Assert.Equal(0, ExplainCommand.Run("l4ns/client", "GET", "http://web.prod/", [], [dir], stdout, TextWriter.Null, defaultInboundPolicy: "all-unauthenticated"));
            return stdout.ToString();
        }, defaultInboundPolicy: "deny");

        Assert.Contains("  authz:  allowed at prod/web-6d5f7c9b8-x2k4q: ", output, StringComparison.Ordinal);
    }

    private static string ExplainLevelsExit(int expectedExit, string from, string url, string defaultOutboundPolicy)
    {
        var dir = Directory.CreateTempSubdirectory("weft-explain-levels-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "levels.yaml"), Levels);
            var stdout = new StringWriter();
            Assert.Equal(expectedExit, ExplainCommand.Run(from, "GET", url, [], [dir], stdout, TextWriter.Null, defaultOutboundPolicy: defaultOutboundPolicy));
            return stdout.ToString();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Explain(string from, string url, IReadOnlyList<string> paths)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = ExplainCommand.Run(from, "GET", url, [], paths, stdout, stderr);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        return stdout.ToString();
    }

    /// <summary>
    /// <paramref name="explain"/> run on a directory holding <see cref="Levels"/> while a state file says a weft up runs it
    /// (this process standing for it), whose JSON records <paramref name="mtlsDefault"/>, <paramref name="defaultInboundPolicy"/>
    /// and <paramref name="defaultOutboundPolicy"/> (those not null) as weft up writes them.
    /// </summary>
    private static T WithRunningMesh<T>(string? mtlsDefault, Func<string, T> explain, string? defaultInboundPolicy = null, string? defaultOutboundPolicy = null)
    {
        var dir = Directory.CreateTempSubdirectory("weft-explain-running-").FullName;
        var state = StateFile.PathFor(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "levels.yaml"), Levels);
            StateFile.Write(state, RunningState(dir));
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(state))!.AsObject();
            foreach (var (key, value) in new[] { ("mtlsDefault", mtlsDefault), ("defaultInboundPolicy", defaultInboundPolicy), ("defaultOutboundPolicy", defaultOutboundPolicy) })
            {
                if (value is not null)
                {
                    json[key] = value;
                }
            }

            File.WriteAllText(state, json.ToJsonString());

            return explain(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(Path.GetDirectoryName(state)!, recursive: true);
        }
    }

    private static MeshState RunningState(string dir)
    {
        static PodState Pod(string ns, string name, string deployment, string ip) =>
            new() { Namespace = ns, Name = name, Deployment = deployment, IP = ip, Ready = true, ServiceAccount = "default", Sidecar = SidecarPorts.Default };
        return new MeshState
        {
            Pid = Environment.ProcessId, // alive while the test runs, as weft up is while it serves
            ManifestDirectory = dir,
            ControlPlane = "https://127.0.0.1:1",
            AddressBlock = "198.18.0.0/15",
            Ready = true,
            Updated = DateTimeOffset.UtcNow,
            Services = [new ServiceState { Namespace = "prod", Name = "web", ClusterIP = "198.19.107.1", Ports = [new ServicePortState { Name = "http", Port = 80, TargetPort = "8080" }] }],
            Pods = [Pod("prod", "web-6d5f7c9b8-x2k4q", "web", "198.18.0.7"), Pod("l4ns", "client-7c9d8f6b5-m3n8p", "client", "198.18.0.9")],
        };
    }
}
