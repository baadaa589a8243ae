using System.Text;
using System.Text.Json.Nodes;
using Weft.ControlPlane.Injection;
using Weft.ControlPlane.Kubernetes;
using Xunit;

namespace Weft.ControlPlane.Tests.Injection;

public class SidecarInjectorTests
{
    private static readonly InjectorOptions Options = InjectorOptions.ForCluster("weft-system", "ghcr.io/weft-mesh/weft:1.2.3", "1.2.3", ["init", "--proxy-uid", "1337"]);

    private static JsonObject Pod(string? annotation = null, string extraSpec = "", string? containers = null) => JsonNode.Parse($$"""
        {
          "apiVersion": "v1", "kind": "Pod",
          "metadata": { "name": "cart-1", "namespace": "shop", "labels": { "app": "cart" }
            {{(annotation is null ? "" : $", \"annotations\": {{ \"weft.dev/mesh\": \"{annotation}\" }}")}} },
          "spec": {
            "containers": {{containers ?? DefaultContainers}}{{extraSpec}}
          }
        }
        """)!.AsObject();

    private const string DefaultContainers = """
        [
          { "name": "cart", "image": "cart:1", "ports": [ { "name": "http", "containerPort": 8080 } ] },
          { "name": "metrics", "image": "exporter:1", "ports": [ { "containerPort": 9100 } ] }
        ]
        """;

    private static JsonObject Namespace(string? level) => JsonNode.Parse(level is null
        ? """{"metadata": {"name": "shop"}}"""
        : "{\"metadata\": {\"name\": \"shop\", \"labels\": {\"weft.dev/mesh\": \"" + level + "\"}}}")!.AsObject();

    private static JsonObject Injected(JsonObject pod, JsonObject? ns, InjectorOptions? options = null)
    {
        var decision = SidecarInjector.Decide(pod, ns, options ?? Options);
        Assert.True(decision.Injected, decision.Reason);
        return JsonPatch.Apply(pod, decision.Patch!);
    }

    private static List<string> Names(JsonNode? containers) => [.. containers!.AsArray().Select(c => c!["name"]!.GetValue<string>())];

    private static List<string> Args(JsonObject container) => [.. container["args"]!.AsArray().Select(a => a!.GetValue<string>())];

    [Fact]
    public void A_pod_of_an_opted_in_namespace_gets_the_init_container_the_sidecar_first_and_its_identity_volume()
    {
        var pod = Injected(Pod(), Namespace("l7"));

        Assert.Equal(["weft-proxy", "cart", "metrics"], Names(pod["spec"]!["containers"]));
        Assert.Equal(["weft-init"], Names(pod["spec"]!["initContainers"]));
        var sidecar = pod["spec"]!["containers"]![0]!.AsObject();
        Assert.Equal("ghcr.io/weft-mesh/weft:1.2.3", sidecar["image"]!.GetValue<string>());
        Assert.Equal(WeftInstallation.ProxyPath, sidecar["command"]![0]!.GetValue<string>());
        var args = Args(sidecar);
        Assert.Equal("https://weft-controller.weft-system.svc:8090", args[args.IndexOf("--control-plane") + 1]);
        Assert.Equal("$(POD_NAMESPACE)/$(POD_NAME)", args[args.IndexOf("--pod") + 1]);
        Assert.Contains("--capture", args);
        Assert.Equal(1337, sidecar["securityContext"]!["runAsUser"]!.GetValue<long>());
        var init = pod["spec"]!["initContainers"]![0]!.AsObject();
        Assert.Equal(["init", "--proxy-uid", "1337"], Args(init));
        Assert.Equal(["NET_ADMIN", "NET_RAW"], init["securityContext"]!["capabilities"]!["add"]!.AsArray().Select(c => c!.GetValue<string>()));
        var volume = pod["spec"]!["volumes"]![0]!;
        Assert.Equal(SidecarInjector.IdentityVolume, volume["name"]!.GetValue<string>());
        Assert.Equal("weft", volume["projected"]!["sources"]![0]!["serviceAccountToken"]!["audience"]!.GetValue<string>());
        Assert.Equal(WeftInstallation.TrustBundleConfigMapName, volume["projected"]!["sources"]![1]!["configMap"]!["name"]!.GetValue<string>());
        Assert.Equal("l7", pod["metadata"]!["annotations"]!["weft.dev/mesh"]!.GetValue<string>());
        Assert.Equal("1.2.3", pod["metadata"]!["annotations"]![WeftInstallation.InjectedAnnotation]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{ "generateName": "cart-7d9f8c6b5-", "namespace": "shop", "labels": { "pod-template-hash": "7d9f8c6b5" }, "ownerReferences": [ { "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "cart-7d9f8c6b5", "uid": "u1", "controller": true } ] }""", "cart")]
    [InlineData("""{ "generateName": "db-", "namespace": "shop", "ownerReferences": [ { "apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "u2", "controller": true } ] }""", "db")]
    [InlineData("""{ "name": "debug", "namespace": "shop" }""", "debug")]
    [InlineData("""{ "generateName": "job-", "namespace": "shop" }""", null)]
    public void The_sidecar_is_told_its_pods_workload_from_the_owner_the_pod_is_admitted_with(string metadata, string? workload)
    {
        var pod = JsonNode.Parse($$"""{ "apiVersion": "v1", "kind": "Pod", "metadata": {{metadata}}, "spec": { "containers": {{DefaultContainers}} } }""")!.AsObject();

        var args = Args(Injected(pod, Namespace("l7"))["spec"]!["containers"]![0]!.AsObject());

        Assert.Equal(workload, args.Contains("--workload") ? args[args.IndexOf("--workload") + 1] : null);
    }

    [Fact]
    public void A_pod_that_says_nothing_in_a_namespace_that_says_nothing_is_not_injected_by_a_cluster()
    {
        var decision = SidecarInjector.Decide(Pod(), Namespace(null), Options);

        Assert.False(decision.Injected);
        Assert.Null(decision.Patch);
        Assert.False(decision.Warn);
    }

    [Fact]
    public void The_template_annotation_beats_the_namespace_label()
    {
        Assert.False(SidecarInjector.Decide(Pod("off"), Namespace("l7"), Options).Injected);

        var pod = Injected(Pod("l4"), Namespace(null));
        var args = Args(pod["spec"]!["containers"]![0]!.AsObject());
        Assert.Equal("l4", args[args.IndexOf("--level") + 1]);
        Assert.Equal("l4", pod["metadata"]!["annotations"]!["weft.dev/mesh"]!.GetValue<string>());
    }

    [Fact]
    public void An_unknown_level_is_ignored_and_the_next_source_decides()
    {
        Assert.False(SidecarInjector.Decide(Pod("maybe"), Namespace(null), Options).Injected);
        Assert.True(SidecarInjector.Decide(Pod("maybe"), Namespace("l7"), Options).Injected);
    }

    [Fact]
    public void The_mtls_annotation_sets_the_sidecars_inbound_mode()
    {
        var source = Pod();
        source["metadata"]!["annotations"] = new JsonObject { ["weft.dev/mtls"] = "Permissive" };
        var args = Args(Injected(source, Namespace("l7"))["spec"]!["containers"]![0]!.AsObject());

        Assert.Equal("permissive", args[args.IndexOf("--mtls") + 1]);
    }

    [Fact]
    public void Host_network_pods_are_not_injected_and_their_creator_is_warned()
    {
        var decision = SidecarInjector.Decide(Pod("l7", """, "hostNetwork": true"""), null, Options);

        Assert.False(decision.Injected);
        Assert.True(decision.Warn);
        Assert.Contains("host", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Already_injected_pods_are_not_injected_again()
    {
        var once = Injected(Pod(), Namespace("l7"));
        Assert.False(SidecarInjector.Decide(once, Namespace("l7"), Options).Injected);

        var hand = Pod("l7");
        hand["spec"]!["containers"]!.AsArray().Add(new JsonObject { ["name"] = "weft-proxy", ["image"] = "mine" });
        Assert.Equal("already injected", SidecarInjector.Decide(hand, null, Options).Reason);
    }

    [Fact]
    public void A_container_port_the_sidecar_listens_on_keeps_the_pod_out_with_a_warning()
    {
        var pod = Pod("l7");
        pod["spec"]!["containers"]![1]!["ports"]![0]!["containerPort"] = 15006;
        var decision = SidecarInjector.Decide(pod, null, Options);

        Assert.False(decision.Injected);
        Assert.True(decision.Warn);
        Assert.Contains("15006", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_and_numbered_app_ports_and_existing_init_containers_and_volumes_are_kept_in_order()
    {
        var source = Pod("l7", """, "initContainers": [ { "name": "migrate", "image": "db:1" } ], "volumes": [ { "name": "data", "emptyDir": {} } ]""");
        var pod = Injected(source, null);

        Assert.Equal(["migrate", "weft-init"], Names(pod["spec"]!["initContainers"]));
        Assert.Equal(["data", SidecarInjector.IdentityVolume], Names(pod["spec"]!["volumes"]));
        Assert.Equal("http", pod["spec"]!["containers"]![1]!["ports"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(9100, pod["spec"]!["containers"]![2]!["ports"]![0]!["containerPort"]!.GetValue<int>());
        Assert.Equal(source["spec"]!["containers"]![0]!.ToJsonString(), pod["spec"]!["containers"]![1]!.ToJsonString());
    }

    [Fact]
    public void The_default_level_of_weft_inject_meshes_what_says_nothing()
    {
        Assert.True(SidecarInjector.Decide(Pod(), null, Options with { DefaultLevel = "l7" }).Injected);
        Assert.False(SidecarInjector.Decide(Pod(), Namespace("off"), Options with { DefaultLevel = "l7" }).Injected);
    }

    [Fact]
    public void The_webhook_answers_with_the_request_uid_and_the_injectors_patch_in_base64()
    {
        var request = new JsonObject
        {
            ["uid"] = "7f0b2c1e-0000-4000-8000-000000000001",
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["operation"] = "CREATE",
            ["namespace"] = "shop",
            ["object"] = Pod(),
        };

        var (response, decision) = AdmissionWebhook.Answer(request, Namespace("l7"), Options);

        Assert.Equal("7f0b2c1e-0000-4000-8000-000000000001", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        var patch = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>())))!.AsArray();
        Assert.Equal(decision!.Patch!.ToJsonString(), patch.ToJsonString());
    }

    [Fact]
    public void The_webhook_allows_anything_but_a_pod_creation_unchanged()
    {
        var request = new JsonObject
        {
            ["uid"] = "u",
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["operation"] = "UPDATE",
            ["object"] = Pod("l7"),
        };

        var (response, decision) = AdmissionWebhook.Answer(request, null, Options);

        Assert.Null(decision);
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["patch"]);
    }

    [Fact]
    public void A_webhook_refusal_of_the_mesh_is_a_warning_not_a_denial()
    {
        var request = new JsonObject
        {
            ["uid"] = "u",
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["operation"] = "CREATE",
            ["object"] = Pod("l7", """, "hostNetwork": true"""),
        };

        var (response, _) = AdmissionWebhook.Answer(request, null, Options);

        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Contains("host", response["warnings"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_sidecar_has_a_liveness_probe_on_its_admin_live_path_so_the_kubelet_restarts_one_that_stopped_accepting()
    {
        var pod = Injected(Pod("l7"), null);

        var sidecar = pod["spec"]!["containers"]![0]!.AsObject();
        Assert.Equal("""{"path":"/live","port":15000}""", sidecar["livenessProbe"]!["httpGet"]!.ToJsonString());
        Assert.Equal(3, sidecar["livenessProbe"]!["failureThreshold"]!.GetValue<int>());
        Assert.Equal(Weft.Routing.MeshWire.ReadyPath, sidecar["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
    }

    [Fact]
    public void A_moved_admin_port_is_on_the_sidecars_command_line_where_the_mesh_model_reads_it()
    {
        // The probes and the weft-admin port name the injector's admin port: the sidecar must listen there, and the model
        // (MeshPorts.AdminOf, which reads the pod as the controller stores it) exempt that port from mTLS, not 15000.
        var moved = Injected(Pod("l7"), null, Options with { AdminPort = 16000, InboundPort = 16006 });
        var args = Args(moved["spec"]!["containers"]![0]!.AsObject());
        Assert.Equal("16000", args[args.IndexOf("--admin-port") + 1]);
        Assert.Equal("16006", args[args.IndexOf("--inbound-port") + 1]);
        Assert.DoesNotContain("--outbound-port", args);
        Assert.Equal(16000, Weft.Routing.MeshPorts.AdminOf(Loaded(moved)));

        var defaults = Injected(Pod("l7"), null);
        Assert.DoesNotContain(Args(defaults["spec"]!["containers"]![0]!.AsObject()), a => a.EndsWith("-port", StringComparison.Ordinal));
        Assert.Equal(Weft.Routing.MeshPorts.Admin, Weft.Routing.MeshPorts.AdminOf(Loaded(defaults)));

        static Weft.Api.Model.Pod Loaded(JsonObject pod) =>
            Assert.IsType<Weft.Api.Model.Pod>(Assert.Single(Weft.Api.ManifestLoader.LoadText(pod.ToJsonString(), "pod.json").Objects));
    }

    [Fact]
    public void The_apps_http_and_tcp_probes_go_to_the_sidecars_admin_port_which_is_told_what_they_asked()
    {
        var source = Pod("l7", containers: """
            [ { "name": "web", "image": "web:1", "ports": [ { "name": "http", "containerPort": 8080 } ],
                "readinessProbe": { "httpGet": { "path": "/healthz", "port": "http", "httpHeaders": [ { "name": "x-probe", "value": "k" } ] }, "periodSeconds": 5 },
                "livenessProbe": { "tcpSocket": { "port": 8080 }, "timeoutSeconds": 3 },
                "startupProbe": { "exec": { "command": [ "true" ] } } } ]
            """);
        var pod = Injected(source, null);

        var web = pod["spec"]!["containers"]![1]!.AsObject();
        Assert.Equal("web", web["name"]!.GetValue<string>());
        Assert.Equal("""{"path":"/app-health/web/readiness","port":15000,"scheme":"HTTP"}""", web["readinessProbe"]!["httpGet"]!.ToJsonString());
        Assert.Equal(5, web["readinessProbe"]!["periodSeconds"]!.GetValue<int>());
        Assert.Null(web["livenessProbe"]!["tcpSocket"]);
        Assert.Equal("/app-health/web/liveness", web["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal("""{"exec":{"command":["true"]}}""", web["startupProbe"]!.ToJsonString());

        var env = pod["spec"]!["containers"]![0]!["env"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == Weft.Routing.MeshWire.AppProbesVariable)!;
        var probes = JsonNode.Parse(env["value"]!.GetValue<string>())!.AsObject();
        Assert.Equal("""{"port":8080,"path":"/healthz","scheme":"HTTP","httpHeaders":[{"name":"x-probe","value":"k"}]}""", probes["/app-health/web/readiness"]!.ToJsonString());
        Assert.Equal("""{"tcp":8080,"timeoutSeconds":3}""", probes["/app-health/web/liveness"]!.ToJsonString());
        Assert.Equal(2, probes.Count);
    }

    [Fact]
    public void A_probe_of_a_port_name_the_container_does_not_declare_is_left_alone()
    {
        var source = Pod("l7", containers: """[ { "name": "web", "image": "web:1", "readinessProbe": { "httpGet": { "path": "/", "port": "nope" } } } ]""");
        var pod = Injected(source, null);

        Assert.Equal("nope", pod["spec"]!["containers"]![1]!["readinessProbe"]!["httpGet"]!["port"]!.GetValue<string>());
        Assert.DoesNotContain(pod["spec"]!["containers"]![0]!["env"]!.AsArray(), e => e!["name"]!.GetValue<string>() == Weft.Routing.MeshWire.AppProbesVariable);
    }
}
