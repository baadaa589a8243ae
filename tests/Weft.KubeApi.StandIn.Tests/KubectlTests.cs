using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.KubeApi.StandIn.Tests.Infrastructure;

namespace Weft.KubeApi.StandIn.Tests;

/// <summary>
/// The stand-in through the real kubectl binaries (Debian's 1.20 and the one on PATH), with the kubeconfig the server
/// writes. kubectl older than 1.27 validates against /openapi/v2 (protobuf), which the stand-in does not serve, so
/// it runs with <c>--validate=false</c>; newer ones find field validation in the /openapi/v3 skeleton and run plain.
/// </summary>
public sealed class KubectlTests
{
    private const string Manifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: shop
        spec:
          selector: {app: web}
          ports:
          - name: http
            port: 80
            targetPort: 8080
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: web
          namespace: shop
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: web-route
          namespace: shop
        spec:
          parentRefs:
          - {group: "", kind: Service, name: web, port: 80}
          rules:
          - backendRefs:
            - {name: web, port: 80}
        """;

    private static string Edited => Manifest.Replace("targetPort: 8080", "targetPort: 9090", StringComparison.Ordinal) + """

            matches:
            - path: {type: PathPrefix, value: /v2}
        """;

    private static string[] Validate(string kubectl) => Kubectls.MinorVersion(kubectl) < 27 ? ["--validate=false"] : [];

    [KubectlFact]
    public async Task Apply_then_apply_an_edit_get_status_and_delete()
    {
        foreach (var kubectl in Kubectls.All)
        {
            await using var k = await TestCluster.StartAsync();
            var dir = Path.GetDirectoryName(k.Kubeconfig)!;
            File.WriteAllText(Path.Combine(dir, "v1.yaml"), Manifest);
            File.WriteAllText(Path.Combine(dir, "v2.yaml"), Edited);
            CommandResult Kubectl(params string[] args) => Kubectls.Run(kubectl, k.Kubeconfig, args).Succeeded($"{kubectl} {string.Join(' ', args)}");

            var created = Kubectl(["apply", .. Validate(kubectl), "-f", Path.Combine(dir, "v1.yaml")]);
            Assert.Contains("httproute.gateway.networking.k8s.io/web-route created", created.Output, StringComparison.Ordinal);
            var configured = Kubectl(["apply", .. Validate(kubectl), "-f", Path.Combine(dir, "v2.yaml")]);
            Assert.Contains("httproute.gateway.networking.k8s.io/web-route configured", configured.Output, StringComparison.Ordinal);
            Assert.Contains("service/web configured", configured.Output, StringComparison.Ordinal);

            var route = Kubectl("get", "httproute", "web-route", "-n", "shop", "-o", "yaml").Output;
            Assert.Contains("value: /v2", route, StringComparison.Ordinal);
            Assert.Contains("generation: 2", route, StringComparison.Ordinal);
            var service = await k.Client.CoreV1.ReadNamespacedServiceAsync("web", "shop");
            Assert.Equal("9090", service.Spec.Ports.Single().TargetPort.Value);
            Assert.Equal("http", service.Spec.Ports.Single().Name);

            var services = Kubectl("get", "svc", "-A").Output;
            Assert.Contains("shop", services, StringComparison.Ordinal);
            Assert.Contains("web", services, StringComparison.Ordinal);
            Assert.Contains("kubernetes", services, StringComparison.Ordinal);

            await k.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                new V1Patch("""{"status":{"parents":[{"parentRef":{"name":"web"},"controllerName":"weft.dev/mesh","conditions":[]}]}}""", V1Patch.PatchType.MergePatch),
                "gateway.networking.k8s.io", "v1", "shop", "httproutes", "web-route");
            var status = Kubectl("get", "httproute", "web-route", "-n", "shop", "-o", "jsonpath={.status}").Output;
            Assert.Equal("weft.dev/mesh", JsonNode.Parse(status)!["parents"]![0]!["controllerName"]!.GetValue<string>());

            Kubectl("delete", "httproute", "web-route", "-n", "shop");
            var gone = await Assert.ThrowsAsync<HttpOperationException>(() =>
                k.Client.CustomObjects.GetNamespacedCustomObjectAsync("gateway.networking.k8s.io", "v1", "shop", "httproutes", "web-route"));
            Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);

            Kubectl("delete", "namespace", "shop");
            Assert.DoesNotContain("shop", Kubectl("get", "svc", "-A").Output, StringComparison.Ordinal);
        }
    }

    private const string InstallManifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: weft-system
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: weft-controller
          namespace: weft-system
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: weft-controller
        rules:
        - apiGroups: [""]
          resources: [services, pods]
          verbs: [get, list, watch]
        - apiGroups: [gateway.networking.k8s.io]
          resources: [httproutes, httproutes/status]
          verbs: [get, list, watch, update, patch]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: weft-controller
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: weft-controller}
        subjects:
        - {kind: ServiceAccount, name: weft-controller, namespace: weft-system}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: weft-leader-election
          namespace: weft-system
        rules:
        - apiGroups: [coordination.k8s.io]
          resources: [leases]
          verbs: [get, create, update]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: weft-leader-election
          namespace: weft-system
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: weft-leader-election}
        subjects:
        - {kind: ServiceAccount, name: weft-controller, namespace: weft-system}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: weft-controller
          namespace: weft-system
        spec:
          selector:
            matchLabels: {app: weft-controller}
          template:
            metadata:
              labels: {app: weft-controller}
            spec:
              serviceAccountName: weft-controller
              containers:
              - name: controller
                image: weft/controller:test
                ports:
                - {name: webhook, containerPort: 9443}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: weft-injector
          namespace: weft-system
        spec:
          selector: {app: weft-controller}
          ports:
          - {name: https, port: 443, targetPort: 9443}
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: MutatingWebhookConfiguration
        metadata:
          name: weft-sidecar-injector
        webhooks:
        - name: inject.weft.dev
          admissionReviewVersions: [v1]
          sideEffects: None
          failurePolicy: Ignore
          clientConfig:
            service: {namespace: weft-system, name: weft-injector, path: /inject}
          namespaceSelector:
            matchLabels: {weft.dev/inject: enabled}
          rules:
          - operations: [CREATE]
            apiGroups: [""]
            apiVersions: [v1]
            resources: [pods]
            scope: "*"
        """;

    /// <summary>
    /// The webhook's rules say <c>scope: "*"</c>, the server's default, on purpose: <c>rules</c> is an atomic list, so
    /// client-side apply replaces it whenever the live list differs from the file, and a defaulted scope makes every
    /// re-apply "configured" (against a real kube-apiserver too).
    /// </summary>
    [KubectlFact]
    public async Task Apply_of_a_full_install_creates_every_kind_and_a_second_apply_is_unchanged()
    {
        foreach (var kubectl in Kubectls.All)
        {
            await using var k = await TestCluster.StartAsync();
            var file = Path.Combine(Path.GetDirectoryName(k.Kubeconfig)!, "install.yaml");
            File.WriteAllText(file, InstallManifest);
            CommandResult Kubectl(params string[] args) => Kubectls.Run(kubectl, k.Kubeconfig, args).Succeeded($"{kubectl} {string.Join(' ', args)}");

            var created = Kubectl(["apply", .. Validate(kubectl), "-f", file]).Output;
            foreach (var line in new[]
            {
                "namespace/weft-system created", "serviceaccount/weft-controller created",
                "clusterrole.rbac.authorization.k8s.io/weft-controller created", "clusterrolebinding.rbac.authorization.k8s.io/weft-controller created",
                "role.rbac.authorization.k8s.io/weft-leader-election created", "rolebinding.rbac.authorization.k8s.io/weft-leader-election created",
                "deployment.apps/weft-controller created", "service/weft-injector created",
                "mutatingwebhookconfiguration.admissionregistration.k8s.io/weft-sidecar-injector created",
            })
            {
                Assert.Contains(line, created, StringComparison.Ordinal);
            }

            var listed = Kubectl("get", "deploy,clusterrole,mutatingwebhookconfiguration", "-A").Output;
            Assert.Contains("weft-controller", listed, StringComparison.Ordinal);
            Assert.Contains("weft-sidecar-injector", listed, StringComparison.Ordinal);

            var again = Kubectl(["apply", .. Validate(kubectl), "-f", file]).Output;
            Assert.True(again.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.EndsWith(" unchanged", StringComparison.Ordinal)), $"{kubectl}: {again}");
            Assert.Equal(9, again.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            var deployment = await k.Client.AppsV1.ReadNamespacedDeploymentAsync("weft-controller", "weft-system");
            Assert.Equal(1, deployment.Metadata.Generation);
            Assert.Equal(1, deployment.Spec.Replicas);
            var configuration = await k.Client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("weft-sidecar-injector");
            Assert.Equal(443, configuration.Webhooks.Single().ClientConfig.Service.Port);
            Assert.Equal(10, configuration.Webhooks.Single().TimeoutSeconds);

            File.WriteAllText(file, InstallManifest.Replace("weft/controller:test", "weft/controller:v2", StringComparison.Ordinal));
            Assert.Contains("deployment.apps/weft-controller configured", Kubectl(["apply", .. Validate(kubectl), "-f", file]).Output, StringComparison.Ordinal);
            deployment = await k.Client.AppsV1.ReadNamespacedDeploymentAsync("weft-controller", "weft-system");
            Assert.Equal(2, deployment.Metadata.Generation);
            Assert.Equal("weft/controller:v2", deployment.Spec.Template.Spec.Containers.Single().Image);
            Assert.Equal(9443, deployment.Spec.Template.Spec.Containers.Single().Ports.Single().ContainerPort);
        }
    }

    [KubectlFact]
    public async Task Get_pods_watch_prints_a_pod_created_after_it_started()
    {
        foreach (var kubectl in Kubectls.All)
        {
            await using var k = await TestCluster.StartAsync();
            var start = new ProcessStartInfo(kubectl)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "get", "pods", "-n", "default", "--watch", "--request-timeout=30s" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["KUBECONFIG"] = k.Kubeconfig;
            start.Environment["HOME"] = Path.GetDirectoryName(k.Kubeconfig);
            var lines = new ConcurrentQueue<string>();
            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lines.Enqueue(e.Data);
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lines.Enqueue("stderr: " + e.Data);
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await Eventually.TrueAsync(() => k.Server.OpenWatches >= 1, $"{kubectl} opened its watch", TimeSpan.FromSeconds(30));
                await k.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
                {
                    Metadata = new V1ObjectMeta { Name = "late-pod" },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "x" }] },
                }, "default");
                await Eventually.TrueAsync(() => lines.Any(l => l.StartsWith("late-pod", StringComparison.Ordinal)), $"{kubectl} printed the new pod: {string.Join(" | ", lines)}", TimeSpan.FromSeconds(20));
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }
}
