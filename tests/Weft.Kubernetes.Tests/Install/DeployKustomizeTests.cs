using System.Text.Json.Nodes;
using Weft.Api;
using Weft.Conformance.Tests;
using Weft.KubeApi.StandIn.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Weft.Kubernetes.Tests.Install;

/// <summary>
/// <c>deploy/</c> cannot drift from <c>weft install</c>: every kubectl on the machine renders the kustomize base to the
/// same objects as the command prints (order aside: kustomize sorts by kind), and <c>deploy/crds/</c> to the CRDs of
/// <c>--crds</c>. When this fails, run scripts/render-deploy.sh.
/// </summary>
public sealed class DeployKustomizeTests(ITestOutputHelper output) : IAsyncDisposable
{
    private readonly WeftChildren _children = new(output);

    [KubectlFact]
    public async Task Kustomize_base_renders_the_objects_of_weft_install()
    {
        var expected = Canonical(await InstallAsync([]));
        foreach (var kubectl in Kubectls.All)
        {
            var rendered = Kubectls.Run(kubectl, null, ["kustomize", Path.Combine(SharedFiles.Repository, "deploy")]).Succeeded($"{kubectl} kustomize deploy/");
            Assert.Equal(expected, Canonical(ManifestJson.Documents(rendered.Output)));
        }
    }

    [KubectlFact]
    public async Task Kustomize_crds_render_the_crds_of_weft_install()
    {
        var install = await InstallAsync(["--crds"]);
        var expected = Canonical(install.Where(o => o["kind"]!.GetValue<string>() == "CustomResourceDefinition"));
        Assert.Equal(10, expected.Count); // nine Gateway API CRDs and Weft's AuthorizationPolicy
        foreach (var kubectl in Kubectls.All)
        {
            var rendered = Kubectls.Run(kubectl, null, ["kustomize", Path.Combine(SharedFiles.Repository, "deploy", "crds")]).Succeeded($"{kubectl} kustomize deploy/crds/");
            Assert.Equal(expected, Canonical(ManifestJson.Documents(rendered.Output)));
        }
    }

    public ValueTask DisposeAsync() => _children.DisposeAsync();

    private async Task<IReadOnlyList<JsonObject>> InstallAsync(string[] flags)
    {
        var (code, text) = await _children.RunAsync(["install", .. flags]);
        Assert.True(code == 0, text);
        return ManifestJson.Documents(text);
    }

    // Each object as JSON with its keys sorted, the lot sorted: equal sets of equal objects compare equal.
    private static List<string> Canonical(IEnumerable<JsonObject> objects) => [.. objects.Select(o => Sorted(o)!.ToJsonString()).Order(StringComparer.Ordinal)];

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };
}
