using Weft.Cli.Conformance;
using Weft.Cli.Local;
using Weft.Cli.Local.Api;
using Weft.Cli.Tests.Infrastructure;
using Weft.Conformance.Tests;
using Weft.KubeApi.StandIn;
using Xunit.Abstractions;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// The whole conformance suite through <c>weft controller</c> (issue 11): each base is a <c>weft up --kubeconfig</c>
/// against the API server stand-in, so the manifests are applied through the API, the pods and EndpointSlices are
/// recorded there, the controller reads it all back, serves the sidecars (TLS, tokens reviewed by the API) and writes
/// route status, which the runner reads back from the API objects. Every case must pass, status checks included.
/// </summary>
public sealed class ConformanceThroughControllerTests(ITestOutputHelper output)
{
    [Fact]
    public Task Every_conformance_case_passes_through_the_controller_with_pods_as_processes() =>
        EveryCasePassesAsync(Isolation.Process, "127.0.0.0/8");

    [NetnsFact]
    public Task Every_conformance_case_passes_through_the_controller_with_pods_in_network_namespaces() =>
        EveryCasePassesAsync(Isolation.Netns, Weft.Cli.Local.Netns.NetnsRange.DefaultCidr);

    private async Task EveryCasePassesAsync(Isolation isolation, string serviceCidr)
    {
        using var log = new TestOutputWriter(output);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var work = Directory.CreateTempSubdirectory("weft-kube-conformance-");
        try
        {
            // The run's ClusterIPs come from weft up's address plan: the API server must accept them.
            await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdPaths = [SharedFiles.GatewayApiCrds], ServiceCidr = serviceCidr });
            var kubeconfig = api.WriteKubeconfig(Path.Combine(work.FullName, "kubeconfig"));
            var runner = new ConformanceRunner(new ConformanceRunnerOptions
            {
                CasesDirectory = SharedFiles.ConformanceCases,
                Output = log,
                Isolation = isolation,
                ApiServer = new ApiServerConnection { Kubeconfig = kubeconfig },
                WorkDirectory = Path.Combine(work.FullName, "run"),
            });

            var run = await runner.RunAsync(timeout.Token);

            var failed = run.Cases.Where(c => c.Outcome == Outcome.Failed).Select(c => $"{c.Test}/{c.Case}: {c.Detail}").ToList();
            Assert.True(failed.Count == 0, "failed cases:\n" + string.Join('\n', failed));
            Assert.Equal(87, run.Cases.Count(c => c.Outcome == Outcome.Passed));
            Assert.All(run.Tests.Where(t => t.Outcome == Outcome.Skipped), t => Assert.NotNull(ConformanceProfiles.SkipReason(t.Test)));
            Assert.True(run.Succeeded);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
