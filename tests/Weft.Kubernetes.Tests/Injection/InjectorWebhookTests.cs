using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using Weft.Api;
using Weft.Cli.Capture;
using Weft.Cli.Commands;
using Weft.Cli.Install;
using Weft.Conformance.Tests;
using Weft.ControlPlane.Injection;
using Weft.ControlPlane.Kubernetes;
using Weft.KubeApi.StandIn;

namespace Weft.Kubernetes.Tests.Injection;

/// <summary>
/// The injector as a cluster runs it: <c>weft install</c>'s MutatingWebhookConfiguration in the API server stand-in,
/// which calls the controller's <c>/inject</c> over TLS through the configuration's Service (mapped to the controller's
/// loopback port, as kube-proxy would route it), checking the certificate against the caBundle the controller wrote.
/// Pods are created through the API, and what the API server stores is compared with <c>weft inject</c>'s output.
/// </summary>
public sealed class InjectorWebhookTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = WeftInstallation.DefaultNamespace;
    private const string Image = "example.test/weft:9.9.9";
    private static readonly string Examples = Path.Combine(SharedFiles.Repository, "examples");

    private readonly ConcurrentDictionary<string, IPEndPoint> _services = new(StringComparer.Ordinal);
    private readonly InjectorOptions _injector = InjectorOptions.ForCluster(Ns, Image, "9.9.9", CaptureOptions.Default.ToArguments());
    private KubeApiServer _api = null!;
    private k8s.Kubernetes _client = null!;
    private KubeController _controller = null!;
    private string _work = "";

    private static string ServiceKey => $"{Ns}/{WeftInstallation.ControllerName}:{WeftInstallation.WebhookServicePort}";

    public async Task InitializeAsync()
    {
        _work = Directory.CreateTempSubdirectory("weft-inject-").FullName;
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [SharedFiles.GatewayApiCrds], WebhookServiceAddresses = _services });
        var kubeconfig = _api.WriteKubeconfig(Path.Combine(_work, "kubeconfig"));
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        foreach (var obj in InstallManifest.Objects(new InstallOptions { Namespace = Ns, Image = Image })
            .Where(o => Kind(o) is "Namespace" or "MutatingWebhookConfiguration"))
        {
            await KubeResource.Of(obj)!.CreateAsync(_client, obj, CancellationToken.None);
        }

        _controller = await StartControllerAsync("inject-test", _injector);
        _services[ServiceKey] = new IPEndPoint(IPAddress.Loopback, _controller.Address.Port);
        await WaitForCaBundleAsync();
    }

    public async Task DisposeAsync()
    {
        await _controller.DisposeAsync();
        _client.Dispose();
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task The_controller_writes_the_trust_bundle_as_the_caBundle_and_writes_it_again_after_a_reapply_empties_it()
    {
        var configuration = (await KubeResource.MutatingWebhookConfigurations.GetAsync(_client, null, WeftInstallation.WebhookConfigurationName, CancellationToken.None))!;
        Assert.True(WebhookCaBundle.IsCurrent(configuration, _controller.ControlPlane.TrustBundlePem));
        foreach (var webhook in configuration["webhooks"]!.AsArray())
        {
            webhook!["clientConfig"]!.AsObject().Remove("caBundle");
        }

        await KubeResource.MutatingWebhookConfigurations.ReplaceAsync(_client, configuration, CancellationToken.None);
        await WaitForCaBundleAsync();

        await CreateNamespaceAsync("shop", "l7");
        var pod = await CreatePodAsync("shop", Pod("after-reapply"));
        Assert.Equal(WeftInstallation.SidecarContainerName, Names(pod, "containers")[0]);
    }

    [Fact]
    public async Task Every_example_workload_is_injected_by_the_webhook_exactly_as_weft_inject_injects_it()
    {
        var directories = Directory.GetDirectories(Examples);
        Assert.NotEmpty(directories);
        var checkedWorkloads = 0;
        foreach (var directory in directories)
        {
            var documents = Directory.GetFiles(directory).Where(f => ManifestLoader.ManifestExtensions.Contains(Path.GetExtension(f)))
                .SelectMany(f => ManifestJson.Documents(File.ReadAllText(f))).ToList();
            var expected = InjectCommand.Inject(documents, _injector with { DefaultLevel = "l7" }, TextWriter.Null);
            for (var i = 0; i < documents.Count; i++)
            {
                if (Kind(documents[i]) != "Deployment")
                {
                    continue;
                }

                // The namespace as the example declares it (a weft.dev/mesh label of its own, as examples/egress's
                // outside has), else at l7.
                var ns = documents[i]["metadata"]!["namespace"]?.GetValue<string>() ?? "default";
                var declared = documents.FirstOrDefault(d => Kind(d) == "Namespace" && d["metadata"]!["name"]!.GetValue<string>() == ns);
                await CreateNamespaceAsync(ns, declared?["metadata"]?["labels"]?[Weft.Routing.MeshLevels.Key]?.GetValue<string>() ?? "l7");
                var template = documents[i]["spec"]!["template"]!.AsObject();
                var stored = await CreatePodAsync(ns, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Pod",
                    ["metadata"] = Metadata(template, generateName: documents[i]["metadata"]!["name"]!.GetValue<string>() + "-"),
                    ["spec"] = template["spec"]!.DeepClone(),
                });
                AssertInjectedAlike(expected[i]["spec"]!["template"]!.AsObject(), stored);
                checkedWorkloads++;
            }
        }

        Assert.True(checkedWorkloads >= 3, $"only {checkedWorkloads} example workloads");
    }

    [Fact]
    public async Task Weft_inject_prints_each_example_as_the_injector_patches_it()
    {
        await using var children = new WeftChildren(output);
        foreach (var directory in Directory.GetDirectories(Examples))
        {
            var (code, text) = await children.RunAsync(["inject", "-f", directory, "--proxy-image", Image, "--weft-namespace", Ns]);
            Assert.True(code == 0, text);
            // (stderr's lines, a workload each, are mixed in by the capture: they are not YAML documents' lines.)
            var yaml = string.Join('\n', text.Split('\n').Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^[a-z]+/\S+: (injected|skipped)")));
            var printed = ManifestJson.Documents(yaml);
            var documents = Directory.GetFiles(directory).Where(f => ManifestLoader.ManifestExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal)
                .SelectMany(f => ManifestJson.Documents(File.ReadAllText(f))).ToList();
            var expected = InjectCommand.Inject(documents, _injector with { Version = VersionCommand.Version, DefaultLevel = "l7" }, TextWriter.Null);
            Assert.Equal(expected.Select(d => d.ToJsonString()), printed.Select(d => d.ToJsonString()));
        }
    }

    [Fact]
    public async Task Own_pods_opted_in_out_host_network_already_injected_and_with_several_containers_get_what_the_rules_say()
    {
        await CreateNamespaceAsync("meshed", "l7");
        await CreateNamespaceAsync("plain", null);
        await CreateNamespaceAsync("opted-out", "off");

        var several = Pod("several", containers: """
            [ { "name": "web", "image": "web:1", "ports": [ { "name": "http", "containerPort": 8080 }, { "containerPort": 9090 } ] },
              { "name": "worker", "image": "worker:1" } ]
            """);
        var injected = await CreatePodAsync("meshed", several);
        Assert.Equal(["weft-proxy", "web", "worker"], Names(injected, "containers"));
        Assert.Equal(["weft-init"], Names(injected, "initContainers"));
        Assert.Equal("http", injected["spec"]!["containers"]![1]!["ports"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(9090, injected["spec"]!["containers"]![1]!["ports"]![1]!["containerPort"]!.GetValue<int>());

        Assert.Equal(["app"], Names(await CreatePodAsync("meshed", Pod("opted-out", annotation: "off")), "containers"));
        Assert.Equal(["app"], Names(await CreatePodAsync("meshed", Pod("host", extraSpec: ("hostNetwork", true))), "containers"));
        Assert.Equal(["app"], Names(await CreatePodAsync("plain", Pod("silent")), "containers"));
        Assert.Equal(["app"], Names(await CreatePodAsync("opted-out", Pod("silent")), "containers"));
        Assert.Equal(["weft-proxy", "app"], Names(await CreatePodAsync("opted-out", Pod("asks", annotation: "l7")), "containers")); // the template beats its namespace
        var byTemplate = await CreatePodAsync("plain", Pod("asks", annotation: "l4"));
        Assert.Equal(["weft-proxy", "app"], Names(byTemplate, "containers"));
        Assert.Equal("l4", byTemplate["metadata"]!["annotations"]![Weft.Routing.MeshLevels.Key]!.GetValue<string>());

        var probed = await CreatePodAsync("meshed", Pod("probed", containers: """
            [ { "name": "web", "image": "web:1", "ports": [ { "name": "http", "containerPort": 8080 } ],
                "readinessProbe": { "httpGet": { "path": "/healthz", "port": "http" } } } ]
            """));
        Assert.Equal("/app-health/web/readiness", probed["spec"]!["containers"]![1]!["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal(15000, probed["spec"]!["containers"]![1]!["readinessProbe"]!["httpGet"]!["port"]!.GetValue<int>());

        var already = InjectCommand.Inject([Pod("already")], _injector with { DefaultLevel = "l7" }, TextWriter.Null)[0];
        Assert.Equal(["weft-proxy", "app"], Names(await CreatePodAsync("meshed", already), "containers"));
    }

    [Fact]
    public async Task A_dry_run_is_injected_and_stores_nothing()
    {
        await CreateNamespaceAsync("dry", "l7");
        var pod = Pod("dry-run");
        pod["metadata"]!["namespace"] = "dry";
        var answer = await KubeResource.Pods.CreateAsync(_client, pod, CancellationToken.None, dryRun: true);

        Assert.Equal(["weft-proxy", "app"], Names(answer, "containers"));
        Assert.Null(await KubeResource.Pods.GetAsync(_client, "dry", "dry-run", CancellationToken.None));
    }

    [Fact]
    public async Task The_leader_publishes_the_trust_bundle_into_every_namespace_but_the_systems_and_leaves_a_foreign_one_alone()
    {
        await WeftChildren.WaitAsync(() => _controller.IsLeader, TimeSpan.FromSeconds(30), () => "the controller never led");
        await CreateNamespaceAsync("shop", null);
        await CreateNamespaceAsync("theirs", null);
        // The leader may publish into the new namespace first: the foreign one then takes its place (CreateOrReplace).
        await KubeResource.ConfigMaps.CreateOrReplaceAsync(_client, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = WeftInstallation.TrustBundleConfigMapName, ["namespace"] = "theirs" },
            ["data"] = new JsonObject { ["ca.crt"] = "mine" },
        }, keep: null, CancellationToken.None);

        string? Bundle(string ns) => KubeResource.ConfigMaps.GetAsync(_client, ns, WeftInstallation.TrustBundleConfigMapName, CancellationToken.None)
            .GetAwaiter().GetResult()?["data"]?["ca.crt"]?.GetValue<string>();
        var pem = _controller.ControlPlane.TrustBundlePem;
        await WeftChildren.WaitAsync(() => Bundle("shop") == pem && Bundle("default") == pem, TimeSpan.FromSeconds(30), () => "no trust bundle in shop and default");
        await CreateNamespaceAsync("later", null); // a namespace change wakes the publisher
        await WeftChildren.WaitAsync(() => Bundle("later") == pem, TimeSpan.FromSeconds(30), () => "no trust bundle in a new namespace");

        Assert.Equal("mine", Bundle("theirs"));
        Assert.Null(Bundle("kube-system"));
    }

    [Fact]
    public async Task An_unreachable_injector_fails_pods_of_opted_in_namespaces_and_lets_the_others_through_unmeshed()
    {
        await CreateNamespaceAsync("meshed", "l7");
        await CreateNamespaceAsync("plain", null);
        _services.TryRemove(ServiceKey, out _);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => CreatePodAsync("meshed", Pod("refused")));
        Assert.Equal(HttpStatusCode.InternalServerError, refused.Response.StatusCode);
        Assert.Contains($"failed calling webhook \"{WeftInstallation.NamespaceWebhookName}\"", Message(refused), StringComparison.Ordinal);

        Assert.Equal(["app"], Names(await CreatePodAsync("plain", Pod("unmeshed", annotation: "l7")), "containers"));
    }

    [Fact]
    public async Task A_caBundle_of_another_root_makes_the_api_server_refuse_the_injector_until_a_controller_puts_the_mesh_root_back()
    {
        await CreateNamespaceAsync("meshed", "l7");
        var other = Weft.ControlPlane.Identity.MeshCertificateAuthority.CreateRootPem(new Weft.ControlPlane.Identity.CaOptions(), TimeProvider.System);
        await _controller.DisposeAsync();

        // An injector that answers but keeps another configuration's caBundle: the API server does not trust its certificate.
        _controller = await StartControllerAsync("keeps-another", _injector, webhookConfiguration: "someone-elses");
        _services[ServiceKey] = new IPEndPoint(IPAddress.Loopback, _controller.Address.Port);
        await WebhookCaBundle.SyncAsync(_client, WeftInstallation.WebhookConfigurationName, other.CertificatePem, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => CreatePodAsync("meshed", Pod("untrusted")));
        Assert.Contains($"failed calling webhook \"{WeftInstallation.NamespaceWebhookName}\"", Message(refused), StringComparison.Ordinal);
        Assert.Contains("tls: failed to verify certificate", Message(refused), StringComparison.Ordinal);

        await _controller.DisposeAsync();
        _controller = await StartControllerAsync("injector", _injector);
        _services[ServiceKey] = new IPEndPoint(IPAddress.Loopback, _controller.Address.Port);
        await WaitForCaBundleAsync();
        Assert.Equal(["weft-proxy", "app"], Names(await CreatePodAsync("meshed", Pod("trusted")), "containers"));
    }

    private async Task<KubeController> StartControllerAsync(string identity, InjectorOptions? injector, string webhookConfiguration = WeftInstallation.WebhookConfigurationName)
    {
        var controller = await KubeController.StartAsync(new KubeControllerOptions
        {
            Client = _client,
            Namespace = Ns,
            Identity = identity,
            ListenAddress = "127.0.0.1",
            Port = 0,
            Injector = injector,
            WebhookConfigurationName = webhookConfiguration,
            RootCheckInterval = TimeSpan.FromHours(1), // the caBundle keeper must react to changes, not to this interval
        }, CancellationToken.None);
        await controller.WaitForSyncAsync(CancellationToken.None);
        return controller;
    }

    private async Task WaitForCaBundleAsync()
    {
        JsonObject? configuration = null;
        await WeftChildren.WaitAsync(
            () => (configuration = KubeResource.MutatingWebhookConfigurations.GetAsync(_client, null, WeftInstallation.WebhookConfigurationName, CancellationToken.None).GetAwaiter().GetResult()) is { } c
                && WebhookCaBundle.IsCurrent(c, _controller.ControlPlane.TrustBundlePem),
            TimeSpan.FromSeconds(30),
            () => $"the caBundle never became the trust bundle: {configuration?.ToJsonString()}");
    }

    /// <summary>Every member the injector wrote is stored as it wrote it (the API server may add defaults beside them).</summary>
    private static void AssertInjectedAlike(JsonObject expectedTemplate, JsonObject stored)
    {
        Assert.Equal(Names(expectedTemplate, "containers"), Names(stored, "containers"));
        Assert.Equal(Names(expectedTemplate, "initContainers"), Names(stored, "initContainers"));
        Assert.Equal(Names(expectedTemplate, "volumes"), Names(stored, "volumes"));
        foreach (var list in new[] { "containers", "initContainers", "volumes" })
        {
            var storedItems = stored["spec"]![list] as JsonArray ?? [];
            var expectedItems = expectedTemplate["spec"]![list] as JsonArray ?? [];
            for (var i = 0; i < expectedItems.Count; i++)
            {
                AssertSubset(expectedItems[i]!, storedItems[i]!, $"{list}[{i}]");
            }
        }

        foreach (var key in new[] { WeftInstallation.InjectedAnnotation, Weft.Routing.MeshLevels.Key })
        {
            // (A workload left out of the mesh, such as examples/egress's outside, has neither.)
            Assert.Equal(expectedTemplate["metadata"]?["annotations"]?[key]?.GetValue<string>(), stored["metadata"]?["annotations"]?[key]?.GetValue<string>());
        }
    }

    private static void AssertSubset(JsonNode expected, JsonNode actual, string path)
    {
        switch (expected)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Assert.True(actual is JsonObject a && a.ContainsKey(key), $"{path}.{key} is missing from {actual.ToJsonString()}");
                    AssertSubset(value!, actual[key]!, $"{path}.{key}");
                }

                break;
            case JsonArray array:
                Assert.True(actual is JsonArray other && other.Count == array.Count, $"{path}: {actual.ToJsonString()} is not {array.ToJsonString()}");
                for (var i = 0; i < array.Count; i++)
                {
                    AssertSubset(array[i]!, actual[i]!, $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: {actual.ToJsonString()} is not {expected.ToJsonString()}");
                break;
        }
    }

    private async Task CreateNamespaceAsync(string name, string? level)
    {
        var ns = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name } };
        if (level is not null)
        {
            ns["metadata"]!["labels"] = new JsonObject { [Weft.Routing.MeshLevels.Key] = level };
        }

        await KubeResource.Namespaces.CreateIfMissingAsync(_client, ns, CancellationToken.None);
    }

    private async Task<JsonObject> CreatePodAsync(string ns, JsonObject pod)
    {
        var copy = pod.DeepClone().AsObject();
        copy["metadata"]!["namespace"] = ns;
        return await KubeResource.Pods.CreateAsync(_client, copy, CancellationToken.None);
    }

    private static JsonObject Pod(string name, string? annotation = null, string? containers = null, (string Key, bool Value)? extraSpec = null)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = name } },
            ["spec"] = new JsonObject
            {
                ["containers"] = containers is null
                    ? new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "app:1", ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 8080 }) })
                    : JsonNode.Parse(containers),
            },
        };
        if (annotation is not null)
        {
            pod["metadata"]!["annotations"] = new JsonObject { [Weft.Routing.MeshLevels.Key] = annotation };
        }

        if (extraSpec is { } extra)
        {
            pod["spec"]![extra.Key] = extra.Value;
        }

        return pod;
    }

    private static JsonObject Metadata(JsonObject template, string generateName)
    {
        var metadata = template["metadata"]?.DeepClone().AsObject() ?? [];
        metadata["generateName"] = generateName;
        return metadata;
    }

    private static List<string> Names(JsonObject pod, string list) =>
        [.. (pod["spec"]![list] as JsonArray ?? []).Select(c => c!["name"]!.GetValue<string>())];

    /// <summary>The message of the API server's Status answer.</summary>
    private static string Message(HttpOperationException e) => JsonNode.Parse(e.Response.Content)?["message"]?.GetValue<string>() ?? e.Response.Content;

    private static string? Kind(JsonObject obj) => obj["kind"]?.GetValue<string>();
}
