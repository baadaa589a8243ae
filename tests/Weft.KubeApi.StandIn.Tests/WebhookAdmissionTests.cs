using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.KubeApi.StandIn.Tests.Infrastructure;

namespace Weft.KubeApi.StandIn.Tests;

/// <summary>
/// Mutating admission as kube-apiserver's MutatingAdmissionWebhook plugin does it, against a real HTTPS webhook on
/// 127.0.0.1 (certificate for <c>hook.test-ns.svc</c> from a test CA) that the stand-in reaches through
/// <see cref="KubeApiServerOptions.WebhookServiceAddresses"/>.
/// </summary>
public sealed class WebhookAdmissionTests
{
    private const string Sidecar = "weft-proxy";

    /// <summary>Every path the test webhook serves: what each answers.</summary>
    private static readonly Dictionary<string, Func<JsonObject, CancellationToken, Task<JsonNode>>> Handlers = new(StringComparer.Ordinal)
    {
        ["/inject"] = (review, _) => Task.FromResult<JsonNode>(TestWebhook.Allow(review, InjectPatch())),
        ["/deny"] = (review, _) => Task.FromResult<JsonNode>(TestWebhook.Deny(review, 403, "pods must not run here")),
        ["/wrong-uid"] = (review, _) => Task.FromResult<JsonNode>(TestWebhook.Allow(review, uid: "not-the-request-uid")),
        ["/bad-patch"] = (review, _) => Task.FromResult<JsonNode>(TestWebhook.Allow(review, new JsonArray(new JsonObject { ["op"] = "remove", ["path"] = "/spec/nothing/here" }))),
        ["/slow"] = async (review, ct) =>
        {
            // Answers only when the caller gives up (the stand-in's timeout closes the connection).
            await Task.Delay(Timeout.Infinite, ct);
            return TestWebhook.Allow(review);
        },
    };

    private static JsonArray InjectPatch() => new(
        new JsonObject { ["op"] = "add", ["path"] = "/spec/containers/-", ["value"] = new JsonObject { ["name"] = Sidecar, ["image"] = "weft/proxy:test" } },
        new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = new JsonObject { ["weft.dev/injected"] = "true" } });

    private static JsonObject Configuration(string name, string path, string caBundle, string failurePolicy = "Fail", string sideEffects = "None", int? timeoutSeconds = null, JsonObject? namespaceSelector = null, JsonObject? objectSelector = null)
    {
        var webhook = new JsonObject
        {
            ["name"] = name,
            ["admissionReviewVersions"] = new JsonArray("v1"),
            ["sideEffects"] = sideEffects,
            ["failurePolicy"] = failurePolicy,
            ["clientConfig"] = new JsonObject
            {
                ["service"] = new JsonObject { ["namespace"] = TestWebhook.ServiceNamespace, ["name"] = TestWebhook.ServiceName, ["path"] = path },
                ["caBundle"] = caBundle,
            },
            ["rules"] = new JsonArray(new JsonObject
            {
                ["operations"] = new JsonArray("CREATE"),
                ["apiGroups"] = new JsonArray(""),
                ["apiVersions"] = new JsonArray("v1"),
                ["resources"] = new JsonArray("pods"),
            }),
        };
        if (timeoutSeconds is { } seconds)
        {
            webhook["timeoutSeconds"] = seconds;
        }

        if (namespaceSelector is not null)
        {
            webhook["namespaceSelector"] = namespaceSelector;
        }

        if (objectSelector is not null)
        {
            webhook["objectSelector"] = objectSelector;
        }

        return new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["webhooks"] = new JsonArray(webhook),
        };
    }

    private static V1Pod Pod(string name, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app:1" }] },
    };

    private static async Task<(TestWebhook Hook, TestCluster Cluster)> StartAsync(IReadOnlyDictionary<string, IPEndPoint>? addresses = null)
    {
        var hook = await TestWebhook.StartAsync(Handlers);
        var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { WebhookServiceAddresses = addresses ?? hook.ServiceAddresses });
        return (hook, cluster);
    }

    private static async Task RegisterAsync(TestCluster k, JsonObject configuration) =>
        await k.Client.CustomObjects.CreateClusterCustomObjectAsync(configuration, "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations");

    private static async Task<JsonObject> RejectedAsync(Func<Task> call, HttpStatusCode code)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.True(e.Response.StatusCode == code, $"expected {code}, got {e.Response.StatusCode}: {e.Response.Content}");
        return JsonNode.Parse(e.Response.Content)!.AsObject();
    }

    private static bool Injected(V1Pod pod) => pod.Spec.Containers.Any(c => c.Name == Sidecar) && pod.Metadata.Labels?["weft.dev/injected"] == "true";

    [KubectlFact]
    public async Task A_pod_create_is_mutated_by_the_webhook_JSONPatch_seen_by_get_and_watch()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("inject.weft.dev", "/inject", hook.Authority.CaBundle));
        var events = new ConcurrentQueue<V1Pod>();
        using var watcher = k.Client.CoreV1.WatchListNamespacedPod("default", onEvent: (_, pod) => events.Enqueue(pod));
        await Eventually.TrueAsync(() => k.Server.OpenWatches == 1, "the watch is open");

        var created = await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default");

        Assert.True(Injected(created));
        var (path, review) = Assert.Single(hook.Reviews);
        Assert.Equal("/inject", path);
        Assert.Equal("AdmissionReview", review["kind"]!.GetValue<string>());
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.GetValue<string>());
        var request = review["request"]!;
        Assert.True(Guid.TryParse(request["uid"]!.GetValue<string>(), out _));
        Assert.Equal("""{"group":"","version":"v1","kind":"Pod"}""", request["kind"]!.ToJsonString());
        Assert.Equal("""{"group":"","version":"v1","resource":"pods"}""", request["resource"]!.ToJsonString());
        Assert.Equal(request["kind"]!.ToJsonString(), request["requestKind"]!.ToJsonString());
        Assert.Equal("web", request["name"]!.GetValue<string>());
        Assert.Equal("default", request["namespace"]!.GetValue<string>());
        Assert.Equal("CREATE", request["operation"]!.GetValue<string>());
        Assert.Equal("kubernetes-admin", request["userInfo"]!["username"]!.GetValue<string>());
        Assert.Equal("default", request["object"]!["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Null(request["object"]!["metadata"]!["uid"]);
        Assert.Null(request["oldObject"]);
        Assert.False(request["dryRun"]!.GetValue<bool>());
        Assert.Equal("CreateOptions", request["options"]!["kind"]!.GetValue<string>());

        foreach (var kubectl in Kubectls.All)
        {
            var json = Kubectls.Run(kubectl, k.Kubeconfig, ["get", "pod", "web", "-n", "default", "-o", "json"]).Succeeded("kubectl get pod").Output;
            var pod = JsonNode.Parse(json)!;
            Assert.Equal(["app", Sidecar], pod["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
            Assert.Equal("true", pod["metadata"]!["labels"]!["weft.dev/injected"]!.GetValue<string>());
        }

        await Eventually.TrueAsync(() => events.Any(e => e.Metadata.Name == "web"), "the watch saw the pod");
        Assert.True(Injected(events.Single(e => e.Metadata.Name == "web")));
    }

    [Fact]
    public async Task A_pod_with_generateName_is_sent_without_a_name_and_gets_one_after_admission()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("inject.weft.dev", "/inject", hook.Authority.CaBundle));

        var created = await k.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { GenerateName = "web-" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "app:1" }] },
        }, "default");

        Assert.StartsWith("web-", created.Metadata.Name, StringComparison.Ordinal);
        Assert.True(Injected(created));
        var request = Assert.Single(hook.Reviews).Review["request"]!;
        Assert.Null(request["name"]);
        Assert.Equal("web-", request["object"]!["metadata"]!["generateName"]!.GetValue<string>());
    }

    [Fact]
    public async Task DryRun_All_create_returns_the_mutated_pod_and_stores_nothing()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("inject.weft.dev", "/inject", hook.Authority.CaBundle));
        var before = k.Server.ResourceVersion;

        var answered = await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default", dryRun: "All");

        Assert.True(Injected(answered));
        Assert.False(string.IsNullOrEmpty(answered.Metadata.Uid));
        Assert.True(string.IsNullOrEmpty(answered.Metadata.ResourceVersion));
        Assert.Equal("Always", answered.Spec.RestartPolicy);
        Assert.True(Assert.Single(hook.Reviews).Review["request"]!["dryRun"]!.GetValue<bool>());
        Assert.Equal(before, k.Server.ResourceVersion);
        await RejectedAsync(() => k.Client.CoreV1.ReadNamespacedPodAsync("web", "default"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DryRun_with_a_webhook_that_has_side_effects_is_400_and_an_unknown_dryRun_value_is_422()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("effects.weft.dev", "/inject", hook.Authority.CaBundle, sideEffects: "Some"));

        var status = await RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default", dryRun: "All"), HttpStatusCode.BadRequest);
        Assert.Equal("admission webhook \"effects.weft.dev\" does not support dry run", status["message"]!.GetValue<string>());
        Assert.Empty(hook.Reviews);

        var invalid = await RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default", dryRun: "Some"), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\"", invalid["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task NamespaceSelector_and_objectSelector_leave_out_what_they_do_not_select()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("inject.weft.dev", "/inject", hook.Authority.CaBundle,
            namespaceSelector: new JsonObject { ["matchLabels"] = new JsonObject { ["weft.dev/inject"] = "enabled" } },
            objectSelector: new JsonObject { ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "weft.dev/skip", ["operator"] = "DoesNotExist" }) }));
        await k.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "meshed", Labels = new Dictionary<string, string> { ["weft.dev/inject"] = "enabled" } } });
        await k.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "plain" } });

        Assert.True(Injected(await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("in"), "meshed")));
        Assert.False(Injected(await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("skipped", new Dictionary<string, string> { ["weft.dev/skip"] = "yes" }), "meshed")));
        Assert.False(Injected(await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("out"), "plain")));
        Assert.Single(hook.Reviews);
    }

    [Fact]
    public async Task A_caBundle_of_another_CA_fails_the_create_under_Fail_and_is_passed_over_under_Ignore()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        using var other = TestCertificates.CreateAuthority("some-other-ca");
        await RegisterAsync(k, Configuration("inject.weft.dev", "/inject", other.CaBundle));

        var status = await RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default"), HttpStatusCode.InternalServerError);
        Assert.Equal("InternalError", status["reason"]!.GetValue<string>());
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"inject.weft.dev\": failed to call webhook: Post \"https://hook.test-ns.svc:443/inject?timeout=10s\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
            status["message"]!.GetValue<string>());
        await RejectedAsync(() => k.Client.CoreV1.ReadNamespacedPodAsync("web", "default"), HttpStatusCode.NotFound);

        await k.Client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("""{"webhooks":[{"name":"inject.weft.dev","failurePolicy":"Ignore"}]}""", V1Patch.PatchType.StrategicMergePatch),
            "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "inject.weft.dev");
        var created = await k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default");
        Assert.False(Injected(created));
        Assert.Equal("app", Assert.Single(created.Spec.Containers).Name);
    }

    [Fact]
    public async Task A_webhook_that_answers_allowed_false_rejects_the_create_with_its_status()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("deny.weft.dev", "/deny", hook.Authority.CaBundle));

        var status = await RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default"), HttpStatusCode.Forbidden);
        Assert.Equal("admission webhook \"deny.weft.dev\" denied the request: pods must not run here", status["message"]!.GetValue<string>());
        Assert.Equal(403, status["code"]!.GetValue<int>());
        await RejectedAsync(() => k.Client.CoreV1.ReadNamespacedPodAsync("web", "default"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_webhook_that_does_not_answer_within_timeoutSeconds_fails_the_create()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("slow.weft.dev", "/slow", hook.Authority.CaBundle, timeoutSeconds: 1));

        var call = RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default"), HttpStatusCode.InternalServerError);
        var status = await Eventually.ResultAsync(call, "the create failed after the webhook's 1 s timeout");
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"slow.weft.dev\": failed to call webhook: Post \"https://hook.test-ns.svc:443/slow?timeout=1s\": context deadline exceeded",
            status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_response_for_another_uid_is_an_error()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("uid.weft.dev", "/wrong-uid", hook.Authority.CaBundle));

        var status = await RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default"), HttpStatusCode.InternalServerError);
        var uid = Assert.Single(hook.Reviews).Review["request"]!["uid"]!.GetValue<string>();
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"uid.weft.dev\": received invalid webhook response: expected response.uid=\"{uid}\", got \"not-the-request-uid\"",
            status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_patch_that_does_not_apply_is_500_even_under_Ignore()
    {
        var (hook, k) = await StartAsync();
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("patch.weft.dev", "/bad-patch", hook.Authority.CaBundle, failurePolicy: "Ignore"));

        var status = await RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default"), HttpStatusCode.InternalServerError);
        Assert.StartsWith("Internal error occurred: ", status["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_with_no_address_has_no_endpoints()
    {
        var (hook, k) = await StartAsync(new Dictionary<string, IPEndPoint>());
        await using var webhook = hook;
        await using var cluster = k;
        await RegisterAsync(k, Configuration("inject.weft.dev", "/inject", hook.Authority.CaBundle));

        var status = await RejectedAsync(() => k.Client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default"), HttpStatusCode.InternalServerError);
        Assert.Equal(
            "Internal error occurred: failed calling webhook \"inject.weft.dev\": failed to call webhook: Post \"https://hook.test-ns.svc:443/inject?timeout=10s\": no endpoints available for service \"hook\"",
            status["message"]!.GetValue<string>());
    }
}
