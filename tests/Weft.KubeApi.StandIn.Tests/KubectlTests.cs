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
