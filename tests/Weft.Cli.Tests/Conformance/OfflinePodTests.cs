using Weft.Api;
using Weft.Api.Model;
using Weft.Cli.Conformance;
using Weft.Cli.Local;
using Weft.Routing;

namespace Weft.Cli.Tests.Conformance;

/// <summary>
/// DESIGN decision 6 in the offline runner: its pods are built as the live mesh builds them (<see cref="DeploymentPod"/>),
/// so a pod carries the <c>weft.dev/mesh</c> level its template or namespace asks for, and the client's level decides
/// how its requests are compiled.
/// </summary>
public sealed class OfflinePodTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("weft-offline-pods-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("labels: {app: web}, annotations: {weft.dev/mesh: l4}", "", "l4")]
    [InlineData("labels: {app: web, weft.dev/mesh: l4}", "", "l4")]
    [InlineData("labels: {app: web}", "annotations: {weft.dev/mesh: l4}", "l4")]
    [InlineData("labels: {app: web}, annotations: {weft.dev/mesh: l7}", "labels: {weft.dev/mesh: l4}", "l7")]
    [InlineData("labels: {app: web}, annotations: {weft.dev/mesh: \"off\"}", "", "off")]
    [InlineData("labels: {app: web}, annotations: {weft.dev/mesh: sideways}", "", "l7")]
    [InlineData("labels: {app: web}", "", "l7")]
    public async Task The_offline_pod_carries_the_level_the_live_pod_carries(string template, string ns, string level)
    {
        var test = Test("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop NAMESPACE}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {TEMPLATE}
                spec: {containers: [{name: web, image: nginx}]}
            """.Replace(" NAMESPACE", ns.Length == 0 ? "" : ", " + ns, StringComparison.Ordinal).Replace("TEMPLATE", template, StringComparison.Ordinal));

        var cluster = OfflineConformance.Admit(test, new Random(1), out var error);
        Assert.Null(error);
        var (_, offline) = Assert.Single(cluster!.Pods);

        // The live kubelet's pod for the same Deployment, template hash, name and address.
        var objects = ManifestLoader.LoadPaths([test.Base]).Objects;
        var deployment = objects.OfType<Deployment>().Single();
        var options = new LocalClusterOptions { ControlPlane = new Uri("http://127.0.0.1:1"), LogDirectory = _directory, Images = new ImageMap([new("nginx", "true")]) };
        var settings = PodMeshSettings.For(deployment.Template, objects.OfType<Namespace>().Single(), options.MtlsDefault);
        await using var live = new LocalPod(deployment, PodNames.TemplateHash(deployment), offline.Name, System.Net.IPAddress.Parse(offline.PodIP!), options, settings);

        Assert.Equal(level, offline.Metadata.Annotations[MeshLevels.Key]);
        Assert.Equal(level, MeshLevels.Of(offline));
        Assert.Equal(live.Object.Metadata.Annotations, offline.Metadata.Annotations);
        Assert.Equal(live.Object.Metadata.Labels, offline.Metadata.Labels);
        Assert.Equal((live.Object.Namespace, live.Object.PodIP), (offline.Namespace, offline.PodIP));
    }

    [Fact]
    public void A_client_without_a_sidecar_cannot_send_offline_as_it_has_no_sidecar_live()
    {
        var test = Test("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: plain, namespace: shop}
            spec:
              selector: {matchLabels: {app: plain}}
              template:
                metadata: {labels: {app: plain}, annotations: {weft.dev/mesh: "off"}}
                spec: {containers: [{name: web, image: nginx}]}
            """) with
        {
            Cases = [new ConformanceCase { Name = "any", From = "shop/plain", Request = new CaseRequest { Url = "http://plain/" }, Expect = new CaseExpectation() }],
        };

        var result = OfflineConformance.Run(test);

        Assert.Equal(Outcome.Failed, result.Outcome);
        Assert.StartsWith("shop/plain-", result.Cases.Single().Detail, StringComparison.Ordinal);
        Assert.Contains("has no sidecar (weft.dev/mesh: off)", result.Cases.Single().Detail, StringComparison.Ordinal);
    }

    private ConformanceTest Test(string manifests)
    {
        var file = Path.Combine(_directory, $"{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, manifests);
        return new ConformanceTest { Name = "Pods", File = file, Base = file, Features = ["Mesh"] };
    }
}
