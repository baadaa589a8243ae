using Weft.Cli.Conformance;
using Weft.Cli.Local;
using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>
/// DESIGN decision 6 through both conformance runners: a client whose pod template says <c>weft.dev/mesh: l4</c> gets
/// L4 routes only, so an HTTPRoute on the Service it calls does not apply to it (its bytes go to the Service's own
/// endpoints), while an l7 client in the same namespace is routed. One case file, run offline and live, must pass both
/// ways: the offline runner builds its pods as the live mesh does and compiles for the client's level.
/// </summary>
public sealed class L4ClientConformanceTests(ITestOutputHelper output) : IDisposable
{
    private const string Echo = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1";
    private readonly string _directory = WriteCaseFile();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void An_l4_client_template_is_not_routed_by_HTTPRoutes_offline()
    {
        var result = OfflineConformance.Run(CaseFileParser.ParseFile(Path.Combine(_directory, "l4-client.yaml")));

        var failed = result.Cases.Where(c => c.Outcome != Outcome.Passed).Select(c => $"{c.Case}: {c.Outcome} {c.Detail}").ToList();
        Assert.True(failed.Count == 0, string.Join('\n', failed));
    }

    [Fact]
    public async Task An_l4_client_template_is_not_routed_by_HTTPRoutes_live_as_offline()
    {
        using var log = new TestOutputWriter(output);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var runner = new ConformanceRunner(new ConformanceRunnerOptions
        {
            CasesDirectory = _directory,
            Output = log,
            Isolation = Isolation.Process,
        });

        var run = await runner.RunAsync(timeout.Token);

        var failed = run.Cases.Where(c => c.Outcome != Outcome.Passed).Select(c => $"{c.Case}: {c.Outcome} {c.Detail}").ToList();
        Assert.True(failed.Count == 0, string.Join('\n', failed));
        Assert.Equal(2, run.Cases.Count());
    }

    /// <summary>
    /// Service <c>front</c> selects the web-v1 pods; an HTTPRoute on it sends to web-v2 and adds a response header. The
    /// l7 client must see web-v2 and the header, the l4 client web-v1 and no header.
    /// </summary>
    private static string WriteCaseFile()
    {
        var directory = Directory.CreateTempSubdirectory("weft-l4-client-").FullName;
        static string Deployment(string name, string annotations) => $"""
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {"{"}name: {name}, namespace: l4c{"}"}
            spec:
              selector: {"{"}matchLabels: {"{"}app: {name}{"}"}{"}"}
              template:
                metadata:
                  labels: {"{"}app: {name}{"}"}
                  annotations: {annotations}
                spec:
                  containers:
                    - name: echo
                      image: {Echo}
                      args: [--port=8080]

            """;
        static string Service(string name, string app) => $"""
            ---
            apiVersion: v1
            kind: Service
            metadata: {"{"}name: {name}, namespace: l4c{"}"}
            spec:
              selector: {"{"}app: {app}{"}"}
              ports: [{"{"}name: http, port: 80, targetPort: 8080, appProtocol: http{"}"}]

            """;
        // The manifests beside, in a folder of their own: the runners read every *.yaml at the top as a case file.
        Directory.CreateDirectory(Path.Combine(directory, "manifests"));
        File.WriteAllText(Path.Combine(directory, "manifests", "base.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: l4c}\n"
            + Deployment("client", "{}") + Deployment("l4client", "{weft.dev/mesh: l4}") + Deployment("web-v1", "{}") + Deployment("web-v2", "{}")
            + Service("front", "web-v1") + Service("web-v2", "web-v2"));
        File.WriteAllText(Path.Combine(directory, "manifests", "route.yaml"), """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: front, namespace: l4c}
            spec:
              parentRefs: [{group: "", kind: Service, name: front, port: 80}]
              rules:
                - filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x-weft-route, value: applied}]}}]
                  backendRefs: [{name: web-v2, port: 80}]
            """);
        File.WriteAllText(Path.Combine(directory, "l4-client.yaml"), """
            name: L4ClientIgnoresHTTPRoutes
            features: [Mesh, HTTPRoute, HTTPRouteResponseHeaderModification]
            base: manifests/base.yaml
            manifests: [manifests/route.yaml]
            cases:
              - name: l7-client-is-routed
                from: l4c/client
                request: {url: http://front/}
                expect:
                  status: 200
                  backend: web-v2
                  responseHeaders: [[x-weft-route, applied]]
              - name: l4-client-reaches-the-service-endpoints
                from: l4c/l4client
                request: {url: http://front/}
                expect:
                  status: 200
                  backend: web-v1
                  absentResponseHeaders: [x-weft-route]
            """);
        return directory;
    }
}
