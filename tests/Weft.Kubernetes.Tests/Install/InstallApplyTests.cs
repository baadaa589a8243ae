using Weft.Conformance.Tests;
using Weft.KubeApi.StandIn;
using Weft.KubeApi.StandIn.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Weft.Kubernetes.Tests.Install;

/// <summary>
/// <c>weft install --crds | kubectl apply -f -</c> against the API server stand-in, with every kubectl on the machine.
/// Needs the stand-in to serve apps/v1 Deployments, RBAC and admissionregistration.k8s.io (another change).
/// </summary>
public sealed class InstallApplyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly WeftChildren _children = new(output);
    private readonly string _work = Directory.CreateTempSubdirectory("weft-install-").FullName;
    private KubeApiServer _api = null!;

    private string Kubeconfig => Path.Combine(_work, "kubeconfig");

    public async Task InitializeAsync()
    {
        _api = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        _api.WriteKubeconfig(Kubeconfig);
    }

    public async Task DisposeAsync()
    {
        await _children.DisposeAsync();
        await _api.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [KubectlFact]
    public async Task Weft_install_with_crds_applies_to_an_API_server()
    {
        var (code, manifest) = await _children.RunAsync(["install", "--crds"]);
        Assert.True(code == 0, manifest);
        foreach (var kubectl in Kubectls.All)
        {
            // Twice: the second apply updates what the first created. (The stand-in has no OpenAPI for old kubectls to validate with.)
            for (var round = 0; round < 2; round++)
            {
                Kubectls.Run(kubectl, Kubeconfig, ["apply", "--validate=false", "-f", "-"], TimeSpan.FromSeconds(120), stdin: manifest).Succeeded($"{kubectl} apply (round {round + 1})");
            }
        }

        var deployment = Kubectls.Run(Kubectls.All[0], Kubeconfig, ["-n", "weft-system", "get", "deployment", "weft-controller", "-o", "name"]).Succeeded("get deployment");
        Assert.Contains("weft-controller", deployment.Output, StringComparison.Ordinal);
        Kubectls.Run(Kubectls.All[0], Kubeconfig, ["get", "mutatingwebhookconfiguration", "weft-sidecar-injector", "-o", "name"]).Succeeded("get webhook configuration");
        Kubectls.Run(Kubectls.All[0], Kubeconfig, ["get", "crd", "xmeshes.gateway.networking.x-k8s.io", "-o", "name"]).Succeeded("get crd");
    }
}
