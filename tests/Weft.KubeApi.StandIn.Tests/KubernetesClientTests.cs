using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Weft.KubeApi.StandIn.Tests.Infrastructure;

namespace Weft.KubeApi.StandIn.Tests;

/// <summary>The stand-in through the official C# client (KubernetesClient), as Weft's controller uses it.</summary>
public sealed class KubernetesClientTests
{
    private const string Group = "gateway.networking.k8s.io";
    private const string Version = "v1";
    private const string Plural = "httproutes";

    private static JsonObject Route(string name, string backend = "web") => JsonNode.Parse($$$"""
        {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"{{{name}}}","namespace":"default"},
         "spec":{"parentRefs":[{"group":"","kind":"Service","name":"web","port":80}],"rules":[{"backendRefs":[{"name":"{{{backend}}}","port":80}]}]}}
        """)!.AsObject();

    private static JsonObject Json(object response) => JsonNode.Parse(((JsonElement)response).GetRawText())!.AsObject();

    private static async Task<HttpOperationException> FailsAsync(Func<Task> call)
    {
        return await Assert.ThrowsAsync<HttpOperationException>(call);
    }

    [Fact]
    public async Task Create_get_update_and_a_stale_update_is_409_Conflict()
    {
        await using var k = await TestCluster.StartAsync();
        var created = Json(await k.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Route("x"), Group, Version, "default", Plural));
        var rv = created["metadata"]!["resourceVersion"]!.GetValue<string>();
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());
        Assert.NotEmpty(created["metadata"]!["uid"]!.GetValue<string>());

        var fetched = Json(await k.Client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, "default", Plural, "x"));
        Assert.Equal(rv, fetched["metadata"]!["resourceVersion"]!.GetValue<string>());

        var again = await FailsAsync(() => k.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Route("x"), Group, Version, "default", Plural));
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", again.Response.Content, StringComparison.Ordinal);

        fetched["spec"]!["rules"]![0]!["backendRefs"]![0]!["name"] = "web-v2";
        var updated = Json(await k.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(fetched, Group, Version, "default", Plural, "x"));
        Assert.Equal(2, updated["metadata"]!["generation"]!.GetValue<long>());
        Assert.True(long.Parse(updated["metadata"]!["resourceVersion"]!.GetValue<string>()) > long.Parse(rv));

        var stale = await FailsAsync(() => k.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(fetched, Group, Version, "default", Plural, "x"));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        var status = JsonNode.Parse(stale.Response.Content)!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("Conflict", status["reason"]!.GetValue<string>());
        Assert.Equal(409, status["code"]!.GetValue<int>());
        Assert.Equal(
            "Operation cannot be fulfilled on httproutes.gateway.networking.k8s.io \"x\": the object has been modified; please apply your changes to the latest version and try again",
            status["message"]!.GetValue<string>());

        var missing = await FailsAsync(() => k.Client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, "default", Plural, "nope"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Contains("httproutes.gateway.networking.k8s.io \\\"nope\\\" not found", missing.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_patch_and_json_patch_with_test()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Route("x"), Group, Version, "default", Plural);

        var merged = Json(await k.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"labels":{"team":"a"}},"spec":{"hostnames":["a.example"]}}""", V1Patch.PatchType.MergePatch),
            Group, Version, "default", Plural, "x"));
        Assert.Equal("a", merged["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal("a.example", merged["spec"]!["hostnames"]![0]!.GetValue<string>());
        Assert.Equal(2, merged["metadata"]!["generation"]!.GetValue<long>());

        var patched = Json(await k.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"test","path":"/spec/hostnames/0","value":"a.example"},{"op":"replace","path":"/spec/hostnames/0","value":"b.example"}]""", V1Patch.PatchType.JsonPatch),
            Group, Version, "default", Plural, "x"));
        Assert.Equal("b.example", patched["spec"]!["hostnames"]![0]!.GetValue<string>());

        var failedTest = await FailsAsync(() => k.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"test","path":"/spec/hostnames/0","value":"a.example"}]""", V1Patch.PatchType.JsonPatch),
            Group, Version, "default", Plural, "x"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, failedTest.Response.StatusCode);

        var strategic = await FailsAsync(() => k.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{}}""", V1Patch.PatchType.StrategicMergePatch), Group, Version, "default", Plural, "x"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, strategic.Response.StatusCode);
    }

    [Fact]
    public async Task Status_subresource_changes_only_status_and_not_generation()
    {
        await using var k = await TestCluster.StartAsync();
        var created = Json(await k.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Route("x"), Group, Version, "default", Plural));

        var body = created.DeepClone().AsObject();
        body["spec"]!["hostnames"] = new JsonArray("ignored.example");
        body["metadata"]!["labels"] = new JsonObject { ["ignored"] = "yes" };
        body["status"] = JsonNode.Parse("""{"parents":[{"parentRef":{"name":"web"},"controllerName":"weft.dev/mesh","conditions":[]}]}""");
        var written = Json(await k.Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(body, Group, Version, "default", Plural, "x"));

        Assert.Equal("weft.dev/mesh", written["status"]!["parents"]![0]!["controllerName"]!.GetValue<string>());
        Assert.Null(written["spec"]!["hostnames"]);
        Assert.Null(written["metadata"]!["labels"]);
        Assert.Equal(1, written["metadata"]!["generation"]!.GetValue<long>());

        // A write to the main resource ignores .status.
        written["status"] = JsonNode.Parse("""{"parents":[]}""");
        written["spec"]!["hostnames"] = new JsonArray("kept.example");
        var main = Json(await k.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(written, Group, Version, "default", Plural, "x"));
        Assert.Equal("weft.dev/mesh", main["status"]!["parents"]![0]!["controllerName"]!.GetValue<string>());
        Assert.Equal(2, main["metadata"]!["generation"]!.GetValue<long>());

        // Status merge patch with the status path.
        var patched = Json(await k.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"parents":[]}}""", V1Patch.PatchType.MergePatch), Group, Version, "default", Plural, "x"));
        Assert.Empty(patched["status"]!["parents"]!.AsArray());
        Assert.Equal(2, patched["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task Service_gets_a_cluster_ip_and_a_taken_one_is_422_Invalid()
    {
        await using var k = await TestCluster.StartAsync();
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] },
        };
        var created = await k.Client.CoreV1.CreateNamespacedServiceAsync(service, "default");
        Assert.StartsWith("10.96.", created.Spec.ClusterIP, StringComparison.Ordinal);
        Assert.Equal([created.Spec.ClusterIP], created.Spec.ClusterIPs);

        var taken = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "other" },
            Spec = new V1ServiceSpec { ClusterIP = created.Spec.ClusterIP, Ports = [new V1ServicePort { Port = 80 }] },
        };
        var error = await FailsAsync(() => k.Client.CoreV1.CreateNamespacedServiceAsync(taken, "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"Invalid\"", error.Response.Content, StringComparison.Ordinal);

        var elsewhere = new V1Service { Metadata = new V1ObjectMeta { Name = "web" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } };
        var missingNamespace = await FailsAsync(() => k.Client.CoreV1.CreateNamespacedServiceAsync(elsewhere, "nowhere"));
        Assert.Equal(HttpStatusCode.NotFound, missingNamespace.Response.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_namespace_releases_the_cluster_ips_of_its_services()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "cart" },
            Spec = new V1ServiceSpec { ClusterIP = "10.96.0.77", Ports = [new V1ServicePort { Port = 80 }] },
        };
        await k.Client.CoreV1.CreateNamespacedServiceAsync(service, "shop");

        await k.Client.CoreV1.DeleteNamespaceAsync("shop");
        await k.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        var again = await k.Client.CoreV1.CreateNamespacedServiceAsync(service, "shop");
        Assert.Equal("10.96.0.77", again.Spec.ClusterIP);
    }

    [Fact]
    public async Task Without_a_valid_token_every_request_is_401()
    {
        await using var k = await TestCluster.StartAsync();
        using var anonymous = k.ClientWithToken("not-a-token");
        var error = await FailsAsync(() => anonymous.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.Response.StatusCode);
        Assert.Contains("\"kind\":\"Status\"", error.Response.Content, StringComparison.Ordinal);

        // A token it cannot verify is refused before the path is looked at: /version (which needs no credentials) too.
        var version = await FailsAsync(() => anonymous.Version.GetCodeAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, version.Response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await k.Client.Version.GetCodeAsync()).GitVersion));
    }

    [Fact]
    public async Task List_then_watch_from_the_lists_resourceVersion_sees_later_changes()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "before" } }, "default");
        var list = await k.Client.CoreV1.ListNamespacedConfigMapAsync("default");
        Assert.Equal(k.Server.ResourceVersion.ToString(), list.Metadata.ResourceVersion);
        Assert.Single(list.Items);

        var events = new ConcurrentQueue<(WatchEventType Type, string Name)>();
        using var watcher = k.Client.CoreV1.WatchListNamespacedConfigMap("default", resourceVersion: list.Metadata.ResourceVersion, onEvent: (type, cm) => events.Enqueue((type, cm.Metadata.Name)));

        await k.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "after" } }, "default");
        await k.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":"1"}}""", V1Patch.PatchType.MergePatch), "after", "default");
        await k.Client.CoreV1.DeleteNamespacedConfigMapAsync("after", "default");

        await Eventually.TrueAsync(() => events.Count >= 3, "the watch saw the create, update and delete");
        Assert.Equal([(WatchEventType.Added, "after"), (WatchEventType.Modified, "after"), (WatchEventType.Deleted, "after")], events.ToArray());
    }

    [Fact]
    public async Task Watch_at_a_compacted_resourceVersion_gets_an_ERROR_event_410()
    {
        await using var k = await TestCluster.StartAsync();
        var old = k.Server.ResourceVersion;
        await k.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default");
        k.Server.Compact();

        var errors = new ConcurrentQueue<Exception>();
        using var watcher = k.Client.CoreV1.WatchListNamespacedConfigMap("default", resourceVersion: old.ToString(), onEvent: (_, _) => { }, onError: errors.Enqueue);
        await Eventually.TrueAsync(() => !errors.IsEmpty, "the watch reported an error");
        var status = Assert.IsType<KubernetesException>(errors.First()).Status;
        Assert.Equal(410, status.Code);
        Assert.Equal("Expired", status.Reason);
        Assert.StartsWith($"too old resource version: {old} (", status.Message, StringComparison.Ordinal);

        var list = await FailsAsync(() => k.Client.CoreV1.ListNamespacedConfigMapAsync("default", resourceVersion: old.ToString(), resourceVersionMatch: "Exact"));
        Assert.Equal(HttpStatusCode.Gone, list.Response.StatusCode);
    }

    [Fact]
    public async Task DropWatches_ends_an_open_watch()
    {
        await using var k = await TestCluster.StartAsync();
        var closed = new TaskCompletionSource();
        using var watcher = k.Client.CoreV1.WatchListNamespacedPod("default", onEvent: (_, _) => { }, onClosed: () => closed.TrySetResult());
        await Eventually.TrueAsync(() => k.Server.OpenWatches == 1, "the watch is open");
        Assert.Equal(1, k.Server.DropWatches());
        await Eventually.ResultAsync(closed.Task.ContinueWith(_ => true, TaskScheduler.Default), "the watch closed");
        Assert.Equal(0, k.Server.OpenWatches);
    }

    [Fact]
    public async Task Deleting_a_CRD_deletes_its_objects_then_ends_the_watches_on_them_and_a_watch_again_is_404()
    {
        // kube-apiserver: the CRD's finalizer deletes its objects (DELETED events), then its storage is torn down, which
        // ends its watches; the client's next watch is answered 404, as its resource is no longer served.
        await using var k = await TestCluster.StartAsync();
        await k.Client.CustomObjects.CreateNamespacedCustomObjectAsync(Route("a"), Group, Version, "default", Plural);
        var rv = Json(await k.Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "default", Plural))["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watching = Task.Run(async () =>
        {
            var seen = new List<WatchEventType>();
#pragma warning disable CS0618 // WatchAsync on a list response is the client's watch for custom objects.
            await foreach (var (type, _) in k.Client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(
                Group, Version, "default", Plural, watch: true, resourceVersion: rv, cancellationToken: timeout.Token).WatchAsync<JsonElement, JsonElement>(cancellationToken: timeout.Token))
#pragma warning restore CS0618
            {
                seen.Add(type);
            }

            return seen; // the stream ended
        });
        await Eventually.TrueAsync(() => k.Server.OpenWatches == 1, "the watch is open");

        await k.Client.CustomObjects.DeleteClusterCustomObjectAsync("apiextensions.k8s.io", "v1", "customresourcedefinitions", $"{Plural}.{Group}");
        Assert.Equal([WatchEventType.Deleted], await watching);
        Assert.Equal(0, k.Server.OpenWatches);
        var again = await FailsAsync(() => k.Client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<JsonElement>(Group, Version, "default", Plural, watch: true, resourceVersion: rv));
        Assert.Equal(HttpStatusCode.NotFound, again.Response.StatusCode);
    }

    [Fact]
    public async Task A_CRD_is_not_served_until_it_is_Established_after_the_establishing_delay()
    {
        await using var k = await TestCluster.StartAsync(new KubeApiServerOptions { CrdEstablishingDelay = TimeSpan.FromMilliseconds(300) });
        var created = Json(await k.Client.CustomObjects.CreateClusterCustomObjectAsync(JsonNode.Parse("""
            {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
             "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                      "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}
            """)!, "apiextensions.k8s.io", "v1", "customresourcedefinitions"));
        var established = created["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Established")!;
        Assert.Equal(("False", "Installing"), (established["status"]!.GetValue<string>(), established["reason"]!.GetValue<string>()));
        var early = await FailsAsync(() => k.Client.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets"));
        Assert.Equal(HttpStatusCode.NotFound, early.Response.StatusCode);

        await Eventually.TrueAsync(
            () => Json(k.Client.CustomObjects.GetClusterCustomObject("apiextensions.k8s.io", "v1", "customresourcedefinitions", "widgets.example.com"))["status"]!["conditions"]!
                .AsArray().Any(c => c!["type"]!.GetValue<string>() == "Established" && c["status"]!.GetValue<string>() == "True"),
            "the CRD is Established");
        Assert.Empty(Json(await k.Client.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Bookmarks_arrive_carrying_only_the_resourceVersion()
    {
        await using var k = await TestCluster.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        var bookmarks = new ConcurrentQueue<V1Pod>();
        using var watcher = k.Client.CoreV1.WatchListNamespacedPod("default", allowWatchBookmarks: true, resourceVersion: k.Server.ResourceVersion.ToString(), onEvent: (type, pod) =>
        {
            if (type == WatchEventType.Bookmark)
            {
                bookmarks.Enqueue(pod);
            }
        });
        await Eventually.TrueAsync(() => bookmarks.Count >= 2, "two bookmarks arrived");
        var bookmark = bookmarks.First();
        Assert.Equal(k.Server.ResourceVersion.ToString(), bookmark.Metadata.ResourceVersion);
        Assert.Null(bookmark.Metadata.Name);
    }

    [Fact]
    public async Task Leader_election_elects_one_and_the_other_takes_over_when_it_stops_renewing()
    {
        await using var k = await TestCluster.StartAsync();
        var leaders = new ConcurrentDictionary<string, bool>();
        LeaderElector Elector(string identity)
        {
            var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(k.Client, "kube-system", "weft-controller", identity))
            {
                LeaseDuration = TimeSpan.FromSeconds(2),
                RenewDeadline = TimeSpan.FromSeconds(1),
                RetryPeriod = TimeSpan.FromMilliseconds(200),
            });
            elector.OnStartedLeading += () => leaders[identity] = true;
            elector.OnStoppedLeading += () => leaders[identity] = false;
            return elector;
        }

        using var first = Elector("a");
        using var second = Elector("b");
        using var stopFirst = new CancellationTokenSource();
        using var stopSecond = new CancellationTokenSource();
        var runFirst = first.RunUntilLeadershipLostAsync(stopFirst.Token);
        await Eventually.TrueAsync(() => first.IsLeader(), "a leads");
        var runSecond = second.RunAndTryToHoldLeadershipForeverAsync(stopSecond.Token);

        // While a renews, b never leads.
        var lease = await k.Client.CoordinationV1.ReadNamespacedLeaseAsync("weft-controller", "kube-system");
        Assert.Equal("a", lease.Spec.HolderIdentity);
        await Eventually.TrueAsync(
            () => k.Client.CoordinationV1.ReadNamespacedLeaseAsync("weft-controller", "kube-system").Result.Spec.RenewTime > lease.Spec.RenewTime,
            "a renewed the lease");
        Assert.False(second.IsLeader());

        await stopFirst.CancelAsync();
        await Eventually.TrueAsync(() => second.IsLeader(), "b takes over", TimeSpan.FromSeconds(15));
        Assert.Equal("b", (await k.Client.CoordinationV1.ReadNamespacedLeaseAsync("weft-controller", "kube-system")).Spec.HolderIdentity);
        await stopSecond.CancelAsync();
        await Task.WhenAll(runFirst, runSecond).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task TokenRequest_then_TokenReview_authenticates_with_the_pod_extra_until_the_pod_is_deleted()
    {
        await using var k = await TestCluster.StartAsync();
        await k.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "web" } }, "default");
        var pod = await k.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "web-0" },
            Spec = new V1PodSpec { ServiceAccountName = "web", Containers = [new V1Container { Name = "app", Image = "x" }] },
        }, "default");

        var request = await k.Client.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = ["weft"],
                ExpirationSeconds = 600,
                BoundObjectRef = new V1BoundObjectReference { Kind = "Pod", ApiVersion = "v1", Name = "web-0", Uid = pod.Metadata.Uid },
            },
        }, "web", "default");
        var token = request.Status.Token;

        var review = await k.Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = ["weft"] } });
        Assert.True(review.Status.Authenticated);
        Assert.Equal("system:serviceaccount:default:web", review.Status.User.Username);
        Assert.Equal(["web-0"], review.Status.User.Extra["authentication.kubernetes.io/pod-name"]);
        Assert.Equal([pod.Metadata.Uid], review.Status.User.Extra["authentication.kubernetes.io/pod-uid"]);
        Assert.Equal(["weft"], review.Status.Audiences);

        var wrongAudience = await k.Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = ["other"] } });
        Assert.NotEqual(true, wrongAudience.Status.Authenticated);
        Assert.NotNull(wrongAudience.Status.Error);

        var issued = k.Server.IssueToken("default", "web", null, [], TimeSpan.FromMinutes(10));
        var apiAudience = await k.Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = issued } });
        Assert.True(apiAudience.Status.Authenticated);
        using var asServiceAccount = k.ClientWithToken(issued);
        Assert.NotEmpty((await asServiceAccount.CoreV1.ListNamespaceAsync()).Items);

        await k.Client.CoreV1.DeleteNamespacedPodAsync("web-0", "default");
        var afterDelete = await k.Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = ["weft"] } });
        Assert.NotEqual(true, afterDelete.Status.Authenticated);
    }
}
