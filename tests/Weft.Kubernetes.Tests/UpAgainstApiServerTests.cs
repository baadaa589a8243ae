using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Weft.Cli.Local;
using Weft.Conformance.Tests;
using Weft.KubeApi.StandIn;
using Xunit.Abstractions;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// <c>weft up examples/canary --kubeconfig FILE</c> as a user runs it (a separate weft process) against the API server
/// stand-in: the directory's objects are in the API, each pod is a Pod there (with its IP, Ready) and each Service's
/// endpoints an EndpointSlice; sidecars authenticated by tokens the API issued get mTLS certificates from the controller,
/// so <c>weft curl</c> reaches cart-v2 with the canary header; the real kubectl reads the route's status as the
/// controller wrote it; <c>weft status</c> shows it; <c>weft stat</c> reaches the sidecars through the controller as
/// whichever user RBAC lets; and stopping leaves the API as it was found.
/// </summary>
public sealed class UpAgainstApiServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly WeftChildren _children = new(output);
    private readonly string _work = Directory.CreateTempSubdirectory("weft-up-kube-").FullName;
    private KubeApiServer _api = null!;

    private string ReadyFile => Path.Combine(_work, "ready.json");

    private string Kubeconfig => Path.Combine(_work, "kubeconfig");

    public async Task InitializeAsync()
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [SharedFiles.GatewayApiCrds], ServiceCidr = "127.0.0.0/8" });
        _api.WriteKubeconfig(Kubeconfig);
    }

    public async Task DisposeAsync()
    {
        await _children.DisposeAsync();

        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Up_records_the_mesh_in_the_API_the_controller_serves_it_and_kubectl_reads_the_route_status()
    {
        var manifests = CopyCanary();

        // What a killed run leaves: its Namespace and its Service, applied by weft up, the Service with a ClusterIP of that
        // run's block (never this one's, 127.B.1.0/24), immutable. This run takes them over and makes the Service again with
        // an address of its own block (asserted below). Someone else's Service (not labelled) of the same name as one of
        // DIR's is not weft up's: it is refused, and left as it was.
        await File.WriteAllTextAsync(Path.Combine(manifests, "theirs.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: theirs, namespace: shop}\nspec:\n  ports: [{port: 80}]\n");
        using (var setup = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig)))
        {
            await setup.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "shop", Labels = new Dictionary<string, string> { ["weft.dev/applied-by"] = "weft-up" } },
            });
            await setup.CoreV1.CreateNamespacedServiceAsync(new k8s.Models.V1Service
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "cart", NamespaceProperty = "shop", Labels = new Dictionary<string, string> { ["weft.dev/applied-by"] = "weft-up" } },
                Spec = new k8s.Models.V1ServiceSpec { ClusterIP = "127.0.0.250", Ports = [new k8s.Models.V1ServicePort { Port = 80 }] },
            }, "shop");
            await setup.CoreV1.CreateNamespacedServiceAsync(new k8s.Models.V1Service
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "theirs", NamespaceProperty = "shop" },
                Spec = new k8s.Models.V1ServiceSpec { ClusterIP = "127.0.0.251", Ports = [new k8s.Models.V1ServicePort { Port = 80 }] },
            }, "shop");

            // A killed run also leaves its Node, not Ready for long, and its Lease, expired: this run takes both over.
            await setup.CoreV1.CreateNodeAsync(new k8s.Models.V1Node
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "weft-local" },
                Status = new k8s.Models.V1NodeStatus { Conditions = [new k8s.Models.V1NodeCondition { Type = "Ready", Status = "Unknown", Reason = "NodeStatusUnknown" }] },
            });
            await setup.CoordinationV1.CreateNamespacedLeaseAsync(new k8s.Models.V1Lease
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "weft-local", NamespaceProperty = "kube-node-lease" },
                Spec = new k8s.Models.V1LeaseSpec { HolderIdentity = "weft-local", LeaseDurationSeconds = 40, RenewTime = DateTime.UtcNow.AddHours(-1) },
            }, "kube-node-lease");
        }

        var up = _children.Start(["up", manifests, "--kubeconfig", Kubeconfig, "--ready-file", ReadyFile, "--isolation", "process"], out var upOutput);
        await WeftChildren.WaitAsync(() => File.Exists(ReadyFile) || up.HasExited, TimeSpan.FromSeconds(120), () => upOutput.ToString());
        Assert.False(up.HasExited, upOutput.ToString());
        var state = StateFile.TryRead(ReadyFile);
        Assert.NotNull(state);
        Assert.True(state.Ready);
        Assert.Equal(Kubeconfig, state.Kubeconfig);
        Assert.StartsWith("https://127.0.0.1:", state.ControlPlane, StringComparison.Ordinal);

        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

        // kubelet's record: every pod a Pod with its IP and Ready, bound to its ServiceAccount. (Ready is written through
        // the status subresource as each pod becomes ready, and may land just after weft up says so, as with a kubelet.)
        k8s.Models.V1PodList pods = null!;
        await WeftChildren.WaitAsync(() =>
        {
            pods = client.CoreV1.ListNamespacedPod("shop");
            return pods.Items.Count == 3 && pods.Items.All(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
        }, TimeSpan.FromSeconds(30), () => "the Pods in the API not all Ready");
        foreach (var pod in pods.Items)
        {
            var local = state.Pods.Single(p => p.Name == pod.Metadata.Name);
            Assert.Equal(local.IP, pod.Status.PodIP);
            Assert.Contains(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");

            // Each container's status, as kubectl counts READY (2/2 with the sidecar) and RESTARTS from them.
            Assert.Equal(pod.Spec.Containers.Select(c => c.Name), pod.Status.ContainerStatuses.Select(c => c.Name));
            Assert.All(pod.Status.ContainerStatuses, c => Assert.True(c.Ready && c.Started == true && c.RestartCount == 0 && c.State.Running?.StartedAt is not null, $"{pod.Metadata.Name}/{c.Name}"));
        }

        // The kubelet's Node, registered Ready (tainted: the scheduler places no other pod there), and its Lease in
        // kube-node-lease, the node's heartbeat (renewed every 10 s; checked below, once some time has passed).
        var node = await client.CoreV1.ReadNodeAsync("weft-local");
        Assert.Equal("True", node.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Equal("weft-local", node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Contains(node.Status.Addresses, a => a.Type == "InternalIP");
        Assert.Contains(node.Spec.Taints, t => t.Key == "weft.dev/local-node" && t.Effect == "NoSchedule");
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("weft-local", "kube-node-lease");
        Assert.Equal("weft-local", lease.Spec.HolderIdentity);
        Assert.Equal(40, lease.Spec.LeaseDurationSeconds);
        Assert.True(lease.Spec.RenewTime > DateTime.UtcNow.AddMinutes(-1), $"the Lease left by a killed run is not renewed: {lease.Spec.RenewTime:O}");

        // The EndpointSlice controller's record, and the Service with its ClusterIP from the run's block.
        var slices = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync("shop", labelSelector: "kubernetes.io/service-name=cart");
        var slice = Assert.Single(slices.Items);
        Assert.Equal("weft-local-cluster", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal(2, slice.Endpoints.Count);
        var cart = await client.CoreV1.ReadNamespacedServiceAsync("cart", "shop");
        Assert.Equal(state.Services.Single(s => s.Name == "cart").ClusterIP, cart.Spec.ClusterIP);
        Assert.Equal("weft-up", cart.Metadata.Labels["weft.dev/applied-by"]);
        Assert.Contains("Service shop/cart: an earlier run left it with ClusterIP 127.0.0.250, outside this run's block: made again", upOutput.ToString(), StringComparison.Ordinal);
        var theirs = await client.CoreV1.ReadNamespacedServiceAsync("theirs", "shop");
        Assert.Equal("127.0.0.251", theirs.Spec.ClusterIP);
        Assert.Null(theirs.Metadata.Labels);
        Assert.Contains("warning: refused services/shop/theirs: it exists and was not applied by weft up", upOutput.ToString(), StringComparison.Ordinal);

        // Traffic through the sidecars: mTLS with certificates issued against API-reviewed tokens.
        for (var i = 0; i < 3; i++)
        {
            var (code, body) = await _children.RunAsync(["curl", "--state", ReadyFile, "--from", "shop/client", "http://cart/", "-H", "x-canary: true"]);
            Assert.True(code == 0, body);
            Assert.Contains("Hostname=cart-v2-", body, StringComparison.Ordinal);
        }

        // The route's status as the controller wrote it, read back by the real kubectl.
        var yaml = "";
        await WeftChildren.WaitAsync(() =>
        {
            yaml = Kubectl("get", "httproute", "cart-canary", "-n", "shop", "-o", "yaml");
            return yaml.Contains("controllerName: weft.dev/mesh", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), () => yaml);
        var route = JsonNode.Parse(Kubectl("get", "httproute", "cart-canary", "-n", "shop", "-o", "json"))!;
        var parent = route["status"]!["parents"]!.AsArray().Single(p => p!["controllerName"]!.GetValue<string>() == "weft.dev/mesh")!;
        Assert.Equal("cart", parent["parentRef"]!["name"]!.GetValue<string>());
        Assert.Equal("Service", parent["parentRef"]!["kind"]!.GetValue<string>());
        var accepted = parent["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Accepted")!;
        Assert.Equal("True", accepted["status"]!.GetValue<string>());
        Assert.Equal(route["metadata"]!["generation"]!.GetValue<long>(), accepted["observedGeneration"]!.GetValue<long>());
        Assert.Contains("type: Accepted", yaml, StringComparison.Ordinal);

        // weft status reads the same from the API.
        var (statusCode, status) = await _children.RunAsync(["status", "--state", ReadyFile]);
        Assert.True(statusCode == 0, status);
        Assert.Contains("route status from the API server", status, StringComparison.Ordinal);
        Assert.Contains("HTTPRoute shop/cart-canary", status, StringComparison.Ordinal);
        Assert.Contains("Accepted         True    Accepted", status, StringComparison.Ordinal);

        // ... and the proxies' subscriptions from the controller, asked as the kubeconfig's user.
        Assert.Matches(@"(?m)^shop/client-\S+\s+cart\S*:\d+\s+", status);

        // weft stat as the kubeconfig's user: the controller has the API server review the token and RBAC decide.
        await StatAsTheKubeconfigsUsersAsync(client, state);

        // An edit to the directory is applied through the API: a new Service appears there with an address of the block.
        await File.WriteAllTextAsync(Path.Combine(manifests, "extra.yaml"), """
            apiVersion: v1
            kind: Service
            metadata:
              name: extra
              namespace: shop
            spec:
              selector: {app: cart}
              ports:
                - {name: http, port: 8080, targetPort: 8080}
            """);
        k8s.Models.V1Service? extra = null;
        await WeftChildren.WaitAsync(() => (extra = TryRead(() => client.CoreV1.ReadNamespacedService("extra", "shop"))) is not null, TimeSpan.FromSeconds(30), () => "no Service shop/extra");
        Assert.StartsWith(state.ServiceCidr![..(state.ServiceCidr!.LastIndexOf('.') + 1)], extra!.Spec.ClusterIP, StringComparison.Ordinal);
        File.Delete(Path.Combine(manifests, "extra.yaml"));
        await WeftChildren.WaitAsync(() => TryRead(() => client.CoreV1.ReadNamespacedService("extra", "shop")) is null, TimeSpan.FromSeconds(30), () => "Service shop/extra still there");

        // kubectl delete pod (the real kubectl, which waits until the object is gone): the server marks the Pod terminating,
        // the kubelet stops the pod and deletes the Pod with grace 0, and the Deployment gets a new pod, Ready in the API,
        // in the state and carrying the traffic.
        var doomed = client.CoreV1.ListNamespacedPod("shop").Items.Single(p => p.Metadata.Name.StartsWith("cart-v2-", StringComparison.Ordinal)).Metadata.Name;
        Kubectl("delete", "pod", doomed, "-n", "shop");
        Assert.Null(TryRead(() => client.CoreV1.ReadNamespacedPod(doomed, "shop")));
        var replacement = await WaitForReplacementAsync(client, "cart-v2-", doomed, upOutput);
        Assert.Contains($"pod shop/{doomed} is being deleted through the API server: stopping it; shop/cart-v2 gets a new pod", upOutput.ToString(), StringComparison.Ordinal);
        var (afterCode, afterBody) = await _children.RunAsync(["curl", "--state", ReadyFile, "--from", "shop/client", "http://cart/", "-H", "x-canary: true"]);
        Assert.True(afterCode == 0, afterBody);
        Assert.Contains($"Hostname={replacement}", afterBody, StringComparison.Ordinal);
        var (afterStatusCode, afterStatus) = await _children.RunAsync(["status", "--state", ReadyFile]);
        Assert.True(afterStatusCode == 0, afterStatus);
        Assert.DoesNotContain(doomed, afterStatus, StringComparison.Ordinal);

        // A force delete (grace 0: the Pod is gone at once, never seen terminating) stops the pod too, and it is replaced.
        var forced = client.CoreV1.ListNamespacedPod("shop").Items.Single(p => p.Metadata.Name.StartsWith("client-", StringComparison.Ordinal)).Metadata.Name;
        Kubectl("delete", "pod", forced, "-n", "shop", "--grace-period=0", "--force");
        await WaitForReplacementAsync(client, "client-", forced, upOutput);
        Assert.Contains($"pod shop/{forced} was deleted through the API server (at once): stopping it", upOutput.ToString(), StringComparison.Ordinal);

        // kubectl delete namespace shop (the stand-in deletes what is in it at once, Pods too): weft up applies the namespace
        // and what DIR declares in it again, the pods are replaced and recorded there, and the traffic flows again.
        Kubectl("delete", "namespace", "shop");
        await WeftChildren.WaitAsync(() =>
        {
            var now = client.CoreV1.ListNamespacedPod("shop").Items;
            return now.Count == 3 && now.All(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
                && TryRead(() => client.CoreV1.ReadNamespacedService("cart", "shop")) is not null;
        }, TimeSpan.FromSeconds(60), () => $"shop not made again with its Pods Ready:\n{upOutput}");
        Assert.Contains("namespaces/shop was deleted outside weft up and is in ", upOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("services/shop/cart was deleted outside weft up and is in ", upOutput.ToString(), StringComparison.Ordinal);
        await WeftChildren.WaitAsync(
            () => _children.RunAsync(["curl", "--state", ReadyFile, "--from", "shop/client", "http://cart/", "-H", "x-canary: true"]).GetAwaiter().GetResult().Code == 0,
            TimeSpan.FromSeconds(60),
            () => $"no traffic after shop was made again:\n{upOutput}");

        // The heartbeat goes on: the Lease is renewed (every 10 s) while weft up runs.
        await WeftChildren.WaitAsync(
            () => client.CoordinationV1.ReadNamespacedLease("weft-local", "kube-node-lease").Spec.RenewTime > lease.Spec.RenewTime,
            TimeSpan.FromSeconds(30),
            () => $"the Lease kube-node-lease/weft-local not renewed since {lease.Spec.RenewTime:O}");

        // Ctrl-C: the node goes (its Pods, then the Node and its Lease), and so does what it applied; the controller's own objects stay.
        _ = WeftChildren.Signal(up.Id, WeftChildren.SigInt);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await up.WaitForExitAsync(stop.Token);
        Assert.Empty((await client.CoreV1.ListPodForAllNamespacesAsync()).Items);
        Assert.Empty((await client.CoreV1.ListNodeAsync()).Items);
        Assert.Null(TryRead(() => client.CoordinationV1.ReadNamespacedLease("weft-local", "kube-node-lease")));
        Assert.Empty((await client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(labelSelector: "endpointslice.kubernetes.io/managed-by=weft-local-cluster")).Items);
        Assert.DoesNotContain((await client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "shop");
        Assert.Contains((await client.CoreV1.ListNamespacedSecretAsync("weft-system")).Items, s => s.Metadata.Name == "weft-ca");
    }

    [Fact]
    public async Task A_Service_the_API_server_refuses_at_start_stops_weft_up_saying_which_range_the_server_needs()
    {
        // The stand-in's default Service range (10.96.0.0/16) does not hold the run's block (127.B.1.0/24): each Service
        // create is 422. weft up must not say ready with no Service in the API (every call would fail to resolve).
        await using var narrow = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [SharedFiles.GatewayApiCrds] });
        var kubeconfig = narrow.WriteKubeconfig(Path.Combine(_work, "narrow.kubeconfig"));
        var (code, text) = await _children.RunAsync(["up", CopyCanary(), "--kubeconfig", kubeconfig, "--isolation", "process"]);

        Assert.True(code == 1, text);
        Assert.Contains("weft up: the API server refused 3 of the 5 objects of ", text, StringComparison.Ordinal);
        Assert.Matches(@"applying services/shop/cart: 422 .*the provided IP \(127\.\d+\.1\.\d+\) is not in the valid range", text);
        Assert.Matches(@"the API server's Service range \(its --service-cluster-ip-range\) must contain this run's Service block 127\.\d+\.1\.0/24", text);
        Assert.Contains("(the stand-in: --service-cidr 127.0.0.0/8)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ready. Try", text, StringComparison.Ordinal);

        // What it did apply (the namespace) went with it.
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        Assert.DoesNotContain((await client.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == "shop");
        Assert.Empty((await client.CoreV1.ListServiceForAllNamespacesAsync(labelSelector: "weft.dev/applied-by=weft-up")).Items);
    }

    [Fact]
    public async Task A_CRD_of_DIR_deleted_with_kubectl_comes_back_and_so_do_the_routes_of_its_kind_their_status_and_their_traffic()
    {
        // A server without the Gateway API CRDs, which takes a moment to establish one as kube-apiserver does: DIR brings
        // the HTTPRoute CRD, applied before the route, which goes once the CRD is Established.
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { ServiceCidr = "127.0.0.0/8", CrdEstablishingDelay = TimeSpan.FromMilliseconds(500) });
        var kubeconfig = api.WriteKubeconfig(Path.Combine(_work, "crd.kubeconfig"));
        var manifests = CopyCanary();
        File.Copy(Path.Combine(SharedFiles.Repository, "deploy", "crds", "gateway.networking.k8s.io_httproutes.yaml"), Path.Combine(manifests, "crd.yaml"));
        var up = _children.Start(["up", manifests, "--kubeconfig", kubeconfig, "--ready-file", ReadyFile, "--isolation", "process"], out var upOutput);
        await WeftChildren.WaitAsync(() => File.Exists(ReadyFile) || up.HasExited, TimeSpan.FromSeconds(120), () => upOutput.ToString());
        Assert.False(up.HasExited, upOutput.ToString());
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var first = await WaitForCanaryRoutedAsync(client, uidNot: null, upOutput);

        // kubectl delete crd: the server deletes the HTTPRoutes with it and ends the watches on them (the controller's
        // informer then gets a 404). weft up applies the CRD again, then the route; the controller reads the kind again,
        // writes the new route's status, and the canary header reaches cart-v2 again.
        KubectlAt(kubeconfig, "delete", "crd", "httproutes.gateway.networking.k8s.io");
        await WaitForCanaryRoutedAsync(client, uidNot: first, upOutput);
        Assert.Contains("customresourcedefinitions.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io was deleted outside weft up and is in ", upOutput.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("does not serve HTTPRoute", upOutput.ToString(), StringComparison.Ordinal);

        _ = WeftChildren.Signal(up.Id, WeftChildren.SigInt);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await up.WaitForExitAsync(stop.Token);
    }

    /// <summary>
    /// Waits (60 s at most) for HTTPRoute shop/cart-canary, of another uid than <paramref name="uidNot"/>, to have the
    /// controller's Accepted status at its generation and for the canary header to reach cart-v2 through it; returns its uid.
    /// </summary>
    private async Task<string> WaitForCanaryRoutedAsync(k8s.Kubernetes client, string? uidNot, StringBuilder upOutput)
    {
        var uid = "";
        await WeftChildren.WaitAsync(() =>
        {
            var route = TryRead(() => JsonNode.Parse(client.CustomObjects.GetNamespacedCustomObject<System.Text.Json.JsonElement>(
                "gateway.networking.k8s.io", "v1", "shop", "httproutes", "cart-canary").GetRawText())!);
            uid = route?["metadata"]?["uid"]?.GetValue<string>() ?? "";
            var accepted = (route?["status"]?["parents"] as JsonArray ?? []).Where(p => p?["controllerName"]?.GetValue<string>() == "weft.dev/mesh")
                .SelectMany(p => p!["conditions"] as JsonArray ?? []).FirstOrDefault(c => c?["type"]?.GetValue<string>() == "Accepted");
            return uid.Length > 0 && uid != uidNot && accepted?["status"]?.GetValue<string>() == "True"
                && accepted["observedGeneration"]?.GetValue<long>() == route!["metadata"]!["generation"]!.GetValue<long>();
        }, TimeSpan.FromSeconds(60), () => $"HTTPRoute shop/cart-canary (not uid {uidNot}) not there, or without the controller's status:\n{upOutput}");
        await WeftChildren.WaitAsync(
            () => _children.RunAsync(["curl", "--state", ReadyFile, "--from", "shop/client", "http://cart/", "-H", "x-canary: true"]).GetAwaiter().GetResult() is (0, var body)
                && body.Contains("Hostname=cart-v2-", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            () => $"the canary header does not reach cart-v2:\n{upOutput}");
        return uid;
    }

    /// <summary>
    /// <c>weft stat</c> through the controller as a cluster user: the state file's kubeconfig (kubernetes-admin, in
    /// system:masters) may; a service account's token may only once a RoleBinding to the installed weft-mesh-viewer
    /// ClusterRole lets it, and then only in that namespace; tap needs weft-tap.
    /// </summary>
    private async Task StatAsTheKubeconfigsUsersAsync(k8s.Kubernetes client, MeshState state)
    {
        var (adminCode, adminStat) = await _children.RunAsync(["stat", "deploy", "-n", "shop", "--state", ReadyFile]);
        Assert.True(adminCode == 0, adminStat);
        Assert.Matches(@"cart-v2\s+100\.00%", adminStat);

        await client.CoreV1.CreateNamespacedServiceAccountAsync(new k8s.Models.V1ServiceAccount { Metadata = new k8s.Models.V1ObjectMeta { Name = "dev" } }, "shop");
        var token = (await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new k8s.Models.Authenticationv1TokenRequest { Spec = new k8s.Models.V1TokenRequestSpec { ExpirationSeconds = 3600 } }, "dev", "shop")).Status.Token;
        var devKubeconfig = _api.WriteKubeconfig(Path.Combine(_work, "dev.kubeconfig"), token);
        string[] asDev = ["--kubeconfig", devKubeconfig, "--control-plane", state.ControlPlane];

        var (deniedCode, denied) = await _children.RunAsync(["stat", "deploy", "-n", "shop", .. asDev]);
        Assert.Equal(1, deniedCode);
        Assert.Contains("system:serviceaccount:shop:dev may not get stats.weft.dev in namespace shop (RBAC: bind the ClusterRole weft-mesh-viewer to them)", denied, StringComparison.Ordinal);

        // The ClusterRoles weft install ships, bound in shop only.
        foreach (var role in Weft.Cli.Install.InstallManifest.Objects(new Weft.Cli.Install.InstallOptions { Namespace = "weft-system", Image = "weft:test" })
            .Where(o => o["kind"]!.GetValue<string>() == "ClusterRole" && o["metadata"]!["name"]!.GetValue<string>() != "weft-controller"))
        {
            await client.RbacAuthorizationV1.CreateClusterRoleAsync(KubernetesJson.Deserialize<k8s.Models.V1ClusterRole>(role.ToJsonString()));
        }

        await client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new k8s.Models.V1RoleBinding
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "dev-view", NamespaceProperty = "shop" },
            RoleRef = new k8s.Models.V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "weft-mesh-viewer" },
            Subjects = [new k8s.Models.Rbacv1Subject { Kind = "ServiceAccount", Name = "dev", NamespaceProperty = "shop" }],
        }, "shop");

        var (allowedCode, allowed) = await _children.RunAsync(["stat", "deploy", "-n", "shop", .. asDev]);
        Assert.True(allowedCode == 0, allowed);
        Assert.Matches(@"cart-v2\s+100\.00%", allowed);

        // A Service's callers may be in any namespace: that asks every pod, which the namespaced binding does not cover.
        var (wideCode, wide) = await _children.RunAsync(["stat", "svc/cart", "-n", "shop", .. asDev]);
        Assert.Equal(1, wideCode);
        Assert.Contains("may not get stats.weft.dev in every namespace", wide, StringComparison.Ordinal);

        var (tapCode, tap) = await _children.RunAsync(["tap", "deploy/cart-v2", "-n", "shop", "--max", "1", .. asDev]);
        Assert.Equal(1, tapCode);
        Assert.Contains("may not watch taps.weft.dev in namespace shop (RBAC: bind the ClusterRole weft-tap to them)", tap, StringComparison.Ordinal);

        // weft status against the cluster: route status from the API server, subscriptions from the controller, which
        // are every namespace's (the namespaced binding does not cover them; the kubeconfig's admin may see them).
        var (devStatusCode, devStatus) = await _children.RunAsync(["status", .. asDev]);
        Assert.Equal(1, devStatusCode);
        Assert.Contains("HTTPRoute shop/cart-canary", devStatus, StringComparison.Ordinal);
        Assert.Contains("system:serviceaccount:shop:dev may not get status.weft.dev in every namespace", devStatus, StringComparison.Ordinal);
        var (clusterStatusCode, clusterStatus) = await _children.RunAsync(["status", "--kubeconfig", Kubeconfig, "--control-plane", state.ControlPlane]);
        Assert.True(clusterStatusCode == 0, clusterStatus);
        Assert.Contains("HTTPRoute shop/cart-canary", clusterStatus, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^shop/client-\S+\s+cart\S*:\d+\s+", clusterStatus);
        var (hintCode, hint) = await _children.RunAsync(["status", "--kubeconfig", Kubeconfig]);
        Assert.True(hintCode == 0, hint);
        Assert.Contains("proxy subscriptions: the controller's; pass --control-plane", hint, StringComparison.Ordinal);
        var (jsonCode, json) = await _children.RunAsync(["status", "--kubeconfig", Kubeconfig, "--json"]);
        Assert.Equal(2, jsonCode);
        Assert.Contains("--json prints a local mesh's state file", json, StringComparison.Ordinal);

        // A cluster named without the controller's address: the CLI says how to reach it rather than guessing.
        var (noAddressCode, noAddress) = await _children.RunAsync(["stat", "deploy", "-n", "shop", "--kubeconfig", devKubeconfig]);
        Assert.Equal(1, noAddressCode);
        Assert.Contains("--control-plane is needed with --kubeconfig", noAddress, StringComparison.Ordinal);
    }

    /// <summary>Waits for the one pod of <paramref name="prefix"/> to be another than <paramref name="gone"/>, Ready in the API, and <paramref name="gone"/> out of the state; returns its name.</summary>
    private async Task<string> WaitForReplacementAsync(k8s.Kubernetes client, string prefix, string gone, StringBuilder upOutput)
    {
        var name = "";
        await WeftChildren.WaitAsync(() =>
        {
            var now = client.CoreV1.ListNamespacedPod("shop").Items.Where(p => p.Metadata.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            name = now.Count == 1 ? now[0].Metadata.Name : "";
            return now.Count == 1 && name != gone && now[0].Metadata.DeletionTimestamp is null
                && now[0].Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true
                && StateFile.TryRead(ReadyFile) is { } state && state.Pods.All(p => p.Name != gone) && state.Pods.Any(p => p.Name == name);
        }, TimeSpan.FromSeconds(60), () => $"no new {prefix} pod Ready in place of {gone}:\n{upOutput}");
        return name;
    }

    private static T? TryRead<T>(Func<T> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private string Kubectl(params string[] args) => KubectlAt(Kubeconfig, args);

    private static string KubectlAt(string kubeconfig, params string[] args)
    {
        var info = new ProcessStartInfo(File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--kubeconfig", kubeconfig }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "kubectl did not finish");
        Assert.True(process.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {stderr.Result}");
        return stdout.Result;
    }

    private string CopyCanary()
    {
        var manifests = Path.Combine(_work, "canary");
        Directory.CreateDirectory(manifests);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(SharedFiles.Repository, "examples", "canary"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(manifests, Path.GetFileName(file)));
        }

        return manifests;
    }
}
