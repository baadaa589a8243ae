using System.Globalization;
using Weft.Api;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing;
using Weft.Routing.Planning;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Explain;

/// <summary>
/// <c>weft explain</c> and the proxy read one decision (the planners'): for a table of requests covering every
/// <see cref="PlanOutcome"/>, what <see cref="MeshModel.Explain"/> says is what a sidecar serving the same compiled
/// policies does. The policies are the model's, with each backend's endpoints moved onto a local test backend.
/// </summary>
public sealed class ExplainAgreesWithProxyTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80, appProtocol: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: plain, namespace: default}
        spec: {clusterIP: 10.96.0.11, selector: {app: plain}, ports: [{name: http, port: 80, appProtocol: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-v1, namespace: default}
        spec: {clusterIP: 10.96.0.12, selector: {app: web-v1}, ports: [{name: http, port: 80, appProtocol: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-v2, namespace: default}
        spec: {clusterIP: 10.96.0.13, selector: {app: web-v2}, ports: [{name: http, port: 80, appProtocol: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: idle, namespace: default}
        spec: {clusterIP: 10.96.0.14, selector: {app: idle}, ports: [{name: http, port: 80, appProtocol: http}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: stale, namespace: default}
        spec: {clusterIP: 10.96.0.15, ports: [{name: http, port: 80, appProtocol: http}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: plain-1, namespace: default, labels: {kubernetes.io/service-name: plain}}
        addressType: IPv4
        endpoints: [{addresses: [10.0.0.1], conditions: {ready: true}}]
        ports: [{name: http, port: 80}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-v1-1, namespace: default, labels: {kubernetes.io/service-name: web-v1}}
        addressType: IPv4
        endpoints: [{addresses: [10.0.0.2], conditions: {ready: true}}]
        ports: [{name: http, port: 80}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-v2-1, namespace: default, labels: {kubernetes.io/service-name: web-v2}}
        addressType: IPv4
        endpoints: [{addresses: [10.0.0.3], conditions: {ready: true}}]
        ports: [{name: http, port: 80}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web, namespace: default}
        spec:
          parentRefs: [{group: "", kind: Service, name: web, port: 80}]
          rules:
          - matches: [{path: {type: Exact, value: /v1}}]
            backendRefs: [{name: web-v1, port: 80}]
          - matches: [{path: {type: PathPrefix, value: /split}}]
            backendRefs: [{name: web-v1, port: 80, weight: 1}, {name: web-v2, port: 80, weight: 1}]
          - matches: [{path: {type: PathPrefix, value: /half-broken}}]
            backendRefs: [{name: web-v1, port: 80, weight: 1}, {name: missing, port: 80, weight: 1}]
          - matches: [{path: {type: PathPrefix, value: /rewrite}}]
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v1}}}]
            backendRefs: [{name: web-v2, port: 80}]
          - matches: [{path: {type: PathPrefix, value: /redirect}}]
            filters:
            - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Host, value: moved.example}]}}
            - {type: RequestRedirect, requestRedirect: {statusCode: 301}}
          - matches: [{path: {type: PathPrefix, value: /none}}]
          - matches: [{path: {type: PathPrefix, value: /zero}}]
            backendRefs: [{name: web-v1, port: 80, weight: 0}]
          - matches: [{path: {type: PathPrefix, value: /invalid}}]
            backendRefs: [{name: missing, port: 80}]
          - matches: [{path: {type: PathPrefix, value: /idle}}]
            backendRefs: [{name: idle, port: 80}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: stale, namespace: default}
        spec:
          parentRefs: [{group: "", kind: Service, name: stale, port: 80}]
          rules:
          - matches: [{path: {type: RegularExpression, value: "/(unclosed"}}]
            backendRefs: [{name: web-v1, port: 80}]
        """;

    public static TheoryData<string, string, PlanOutcome?> Requests => new()
    {
        { "web", "/v1", PlanOutcome.Forward },
        { "web", "/split/x", PlanOutcome.Forward },
        { "web", "/half-broken", null },
        { "web", "/rewrite/x", PlanOutcome.Forward },
        { "web", "/redirect/x?a=1", PlanOutcome.Redirect },
        { "web", "/none", PlanOutcome.NoBackends },
        { "web", "/zero", PlanOutcome.NoBackends },
        { "web", "/invalid", PlanOutcome.InvalidBackend },
        { "web", "/idle", PlanOutcome.NoReadyEndpoints },
        { "web", "/elsewhere", PlanOutcome.NoRuleMatched },
        { "plain", "/anything", PlanOutcome.ForwardToService },
        { "stale", "/", PlanOutcome.NoReadyEndpoints }, // a route whose every rule is invalid does not apply (C1)
    };

    /// <summary>
    /// Every outcome but <see cref="PlanOutcome.NoService"/>, which no manifest reaches (the model gives every HTTP
    /// policy without rules the Service's own backend; a route whose rules are all invalid does not apply); the
    /// planner's own tests cover it.
    /// </summary>
    [Fact]
    public void The_table_covers_every_planner_outcome_manifests_can_reach()
    {
        var covered = Requests.Select(r => (PlanOutcome?)r[2]).ToHashSet();
        Assert.All(Enum.GetValues<PlanOutcome>().Where(o => o != PlanOutcome.NoService), o => Assert.Contains(o, covered));
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task What_explain_says_is_what_the_proxy_does(string host, string pathAndQuery, PlanOutcome? decision)
    {
        var loaded = ManifestLoader.LoadText(Manifests, "mesh.yaml");
        Assert.False(loaded.HasProblems, string.Join("; ", loaded.Problems));
        var model = MeshModel.Build(MeshSnapshot.From(loaded.Objects));
        var explained = model.Explain("default", new ExplainRequest(host, 80, "GET", pathAndQuery, []));
        Assert.Equal(decision, explained.Decision);

        await using var backends = new Backends();
        var destinations = new List<(string, DestinationPolicy)>();
        foreach (var service in new[] { "web", "plain", "stale" })
        {
            destinations.Add(($"{service}:80", await backends.ServeAsync(model.Compile("default", service, 80)!)));
        }

        await using var mesh = await TestMesh.StartAsync([.. destinations]);
        for (var attempt = 0; attempt < (explained.Decision is null ? 20 : 3); attempt++)
        {
            var response = await mesh.Client.GetAsync(new Uri($"http://{host}{pathAndQuery}"));
            var status = (int)response.StatusCode;
            var servedBy = response.Headers.TryGetValues("x-backend", out var names) ? names.Single() : null;
            var share = servedBy is null
                ? explained.Backends.Where(b => b.Outcome is { } o && !o.Forwards() && StatusOf(b.Note) == status)
                : explained.Backends.Where(b => b.Outcome is { } o && o.Forwards() && b.Backend.Name == servedBy);
            if (explained.Backends.Count == 0)
            {
                Assert.Null(servedBy);
                Assert.Equal(StatusOf(explained.Outcome), status);
            }
            else
            {
                Assert.True(share.Any(), $"the proxy answered {status} from {servedBy ?? "itself"}; explain said: {explained.Outcome}");
                Assert.Equal(servedBy is null ? status : 200, status);
            }

            if (explained.Decision == PlanOutcome.Redirect)
            {
                Assert.EndsWith($"Location: {response.Headers.Location} (gamma-spec G6)", explained.Outcome, StringComparison.Ordinal);
            }

            if (explained.Outcome.Contains("path rewritten to", StringComparison.Ordinal))
            {
                var echoed = EchoedRequest.Parse(await response.Content.ReadAsStringAsync());
                Assert.Contains($"path rewritten to {echoed.Path}", explained.Outcome, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>The status an explained answer names ("503: ...", "301 redirect, ..."), or 200 for a forward.</summary>
    private static int StatusOf(string text) =>
        text.Length >= 3 && int.TryParse(text.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : 200;

    /// <summary>One local test backend per backend Service, each answering with its name.</summary>
    private sealed class Backends : IAsyncDisposable
    {
        private readonly Dictionary<string, TestBackend> _started = new(StringComparer.Ordinal);

        public async Task<DestinationPolicy> ServeAsync(DestinationPolicy policy)
        {
            var rules = new List<RulePolicy>();
            foreach (var rule in policy.Rules)
            {
                var moved = new List<BackendPolicy>();
                foreach (var backend in rule.Backends)
                {
                    moved.Add(await MoveAsync(backend));
                }

                rules.Add(rule with { Backends = moved });
            }

            return policy with { Rules = rules, DefaultBackend = policy.DefaultBackend is { } d ? await MoveAsync(d) : null };
        }

        private async Task<BackendPolicy> MoveAsync(BackendPolicy backend)
        {
            if (backend.Endpoints.Count == 0)
            {
                return backend;
            }

            if (!_started.TryGetValue(backend.Name, out var local))
            {
                _started[backend.Name] = local = await TestBackend.StartAsync(backend.Name);
            }

            return backend with { Endpoints = [new EndpointPolicy { Address = "127.0.0.1", Port = local.Port, Pod = $"default/{backend.Name}" }] };
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var backend in _started.Values)
            {
                await backend.DisposeAsync();
            }
        }
    }
}
