using Weft.Api.Loading;
using Weft.Api.Model;
using YamlDotNet.RepresentationModel;

namespace Weft.Api.Tests.Loading;

/// <summary>kubectl apply's default --validate=strict: a field the schema does not declare rejects the object.</summary>
public sealed class StrictFieldValidationTests
{
    [Fact]
    public void Unknown_field_is_a_strict_decoding_error_at_its_file_line_and_column()
    {
        var problem = Manifests.AssertRejected(Manifests.HttpRule("backendRef:\n- name: echo-v1\n  port: 8080"),
            "spec.rules[0].backendRef", "strict decoding error: unknown field \"spec.rules[0].backendRef\"");

        Assert.Equal((13, 5), (problem.Line, problem.Column));
        Assert.Equal("test.yaml:13:5: HTTPRoute gateway-conformance-mesh/bad is invalid: spec.rules[0].backendRef: strict decoding error: unknown field \"spec.rules[0].backendRef\"",
            problem.ToString());
        Assert.StartsWith("did you mean backendRefs?", problem.Hint, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> MisspelledFields() => new()
    {
        { Manifests.HttpRoute("  rule:\n  - backendRefs: [{name: echo-v1, port: 8080}]"), "spec.rule", "rules" },
        { Manifests.HttpRule("matchs:\n- path: {type: Exact, value: /a}\nbackendRefs: [{name: echo-v1, port: 8080}]"), "spec.rules[0].matchs", "matches" },
        { Manifests.HttpRule("matches:\n- path: {type: Exact, valu: /a}\nbackendRefs: [{name: echo-v1, port: 8080}]"), "spec.rules[0].matches[0].path.valu", "value" },
        { Manifests.HttpRule("backendRefs: [{name: echo-v1, port: 8080, wieght: 2}]"), "spec.rules[0].backendRefs[0].wieght", "weight" },
        { Manifests.HttpRule("filters:\n- type: RequestHeaderModifier\n  requestHeaderModifier: {set: [{name: a, value: b}], delete: [c]}\nbackendRefs: [{name: echo-v1, port: 8080}]"),
            "spec.rules[0].filters[0].requestHeaderModifier.delete", "add, remove, set" },
        { Manifests.GrpcRoute("  rules:\n  - matches:\n    - method: {service: echo.Echo, methd: Echo}\n    backendRefs: [{name: echo-v1, port: 7070}]"), "spec.rules[0].matches[0].method.methd", "method" },
        { Manifests.GrpcRoute("  rules:\n  - filters:\n    - type: RequestRedirect\n      requestRedirect: {statusCode: 301}\n    backendRefs: [{name: echo-v1, port: 7070}]"),
            "spec.rules[0].filters[0].requestRedirect", "extensionRef" },
        { Manifests.HttpRoute("  hostname: [echo.example]"), "spec.hostname", "hostnames" },
        { "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: a}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: b}]\n  too: [{group: \"\", kind: Service}]\n",
            "spec.too", "to" },
        { "apiVersion: gateway.networking.x-k8s.io/v1alpha1\nkind: XMesh\nmetadata: {name: m}\nspec: {controllerName: example.com/weft, parameters: {kind: ConfigMap, name: x}}\n", "spec.parameters", "parametersRef" },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec:\n  selectr: {app: echo}\n  ports: [{port: 80}]\n", "spec.selectr", "selector" },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec:\n  ports: [{port: 80, targetport: 8080}]\n", "spec.ports[0].targetport", "targetPort" },
        { "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  lables: {x: y}\n", "metadata.lables", "labels" },
        { "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspek: {}\n", "spek", "spec" },
        { "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca}\ndatas: {ca.crt: x}\n", "datas", "data" },
    };

    [Theory]
    [MemberData(nameof(MisspelledFields))]
    public void Misspelled_field_is_rejected_and_the_hint_names_the_known_field(string yaml, string fieldPath, string known)
    {
        var problem = Manifests.AssertRejected(yaml, fieldPath, $"strict decoding error: unknown field \"{fieldPath}\"");

        Assert.Contains(known, problem.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_of_the_experimental_CRDs_that_Weft_does_not_map_are_known()
    {
        Manifests.LoadOne<HttpRoute>(Manifests.HttpRoute("""
              useDefaultGateways: None
              rules:
              - sessionPersistence:
                  sessionName: s
                  type: Cookie
                  absoluteTimeout: 1h
                  cookieConfig: {lifetimeType: Permanent}
                filters:
                - type: ExternalAuth
                  externalAuth:
                    protocol: HTTP
                    backendRef: {name: auth, port: 9000}
                    forwardBody: {maxSize: 1024}
                    http: {path: /check, allowedHeaders: [x-a], allowedResponseHeaders: [x-b]}
                backendRefs: [{name: echo-v1, port: 8080}]
            """));
        Manifests.LoadOne<GrpcRoute>(Manifests.GrpcRoute("""
              rules:
              - sessionPersistence: {sessionName: s, type: Header}
                backendRefs: [{name: echo-v1, port: 7070}]
            """));
    }

    [Fact]
    public void Status_is_accepted_and_ignored_on_any_object()
    {
        var route = Manifests.LoadOne<HttpRoute>(Manifests.HttpRule("backendRefs: [{name: echo-v1, port: 8080}]") + "\nstatus:\n  parents: []\n  anything: {goes: here}\n");
        var service = Manifests.LoadOne<Service>("apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {ports: [{port: 80}]}\nstatus: {loadBalancer: {}}\n");

        Assert.Equal("bad", route.Name);
        Assert.Equal("echo", service.Name);
    }

    [Fact]
    public void Every_standard_ObjectMeta_field_is_known()
    {
        var ns = Manifests.LoadOne<Namespace>("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: a
              generateName: a-
              uid: 6a1f
              resourceVersion: "42"
              generation: 3
              creationTimestamp: "2024-01-02T03:04:05Z"
              deletionTimestamp: "2024-01-03T03:04:05Z"
              deletionGracePeriodSeconds: 30
              selfLink: /api/v1/namespaces/a
              labels: {team: mesh}
              annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}
              ownerReferences: [{apiVersion: v1, kind: Thing, name: o, uid: u, controller: true}]
              finalizers: [kubernetes]
              managedFields: [{manager: kubectl, operation: Apply, fieldsV1: {f:metadata: {}}}]
            spec: {finalizers: [kubernetes]}
            status: {phase: Active}
            """);

        Assert.Equal("mesh", ns.Metadata.Labels["team"]);
    }

    [Fact]
    public void Core_objects_Weft_reads_a_subset_of_accept_every_Kubernetes_field_below_the_top_level()
    {
        var result = Manifests.Load("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: echo}
            spec:
              strategy: {type: RollingUpdate}
              revisionHistoryLimit: 2
              selector: {matchLabels: {app: echo}, matchExpressions: []}
              template:
                metadata: {labels: {app: echo}}
                spec:
                  nodeSelector: {disk: ssd}
                  volumes: [{name: v, emptyDir: {}}]
                  containers:
                  - name: echo
                    image: echo:1
                    resources: {limits: {cpu: 100m}}
                    readinessProbe: {httpGet: {path: /, port: 8080}}
                    ports: [{containerPort: 8080, hostPort: 8080}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: echo-abc}
            addressType: IPv4
            endpoints:
            - addresses: [10.0.0.1]
              zone: a
              hints: {forZones: [{name: a}]}
              targetRef: {kind: Pod, name: p, uid: u, resourceVersion: "1"}
            ports: [{port: 8080}]
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: sa}
            automountServiceAccountToken: false
            imagePullSecrets: [{name: reg}]
            """);

        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        Assert.Equal(["Deployment", "EndpointSlice", "ServiceAccount"], result.Objects.Select(o => o.Kind));
    }

    [Fact]
    public void Every_unknown_field_and_every_other_violation_of_the_object_is_reported()
    {
        var result = Manifests.Load(Manifests.HttpRule("matchs: []\nbackendRefs:\n- name: echo-v1\n  prot: 8080"));

        Assert.Empty(result.Objects);
        Assert.Equal(
            ["spec.rules[0].matchs", "spec.rules[0].backendRefs[0].prot", "spec.rules[0].backendRefs[0]"],
            result.Problems.Select(p => p.FieldPath));
    }

    public static TheoryData<string, string> CrdKinds() => new()
    {
        { "gateway.networking.k8s.io_httproutes.yaml", "HTTPRoute" },
        { "gateway.networking.k8s.io_grpcroutes.yaml", "GRPCRoute" },
        { "gateway.networking.k8s.io_tcproutes.yaml", "TCPRoute" },
        { "gateway.networking.k8s.io_tlsroutes.yaml", "TLSRoute" },
        { "gateway.networking.k8s.io_referencegrants.yaml", "ReferenceGrant" },
        { "gateway.networking.x-k8s.io_xmeshes.yaml", "XMesh" },
        { "gateway.networking.x-k8s.io_xbackends.yaml", XBackend.KindName },
        { "gateway.networking.k8s.io_backendtlspolicies.yaml", BackendTlsPolicy.KindName },
        { "gateway.networking.x-k8s.io_xbackendtrafficpolicies.yaml", XBackendTrafficPolicy.KindName },
    };

    [Theory]
    [MemberData(nameof(CrdKinds))]
    public void Known_fields_are_exactly_those_of_the_experimental_CRD_schema(string crdFile, string kind)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(SharedFiles.ConformanceDir, "upstream", "crds", "experimental", crdFile))));
        var crd = (YamlMappingNode)stream.Documents[0].RootNode;
        var group = ((YamlScalarNode)crd["spec"]["group"]).Value;
        foreach (var version in ((YamlSequenceNode)crd["spec"]["versions"]).Children)
        {
            var apiVersion = $"{group}/{((YamlScalarNode)version["name"]).Value}";
            var schema = (YamlMappingNode)version["schema"]["openAPIV3Schema"]["properties"]["spec"];
            var crdPaths = SchemaPaths(schema, "spec").Order(StringComparer.Ordinal).ToList();

            var type = KnownKinds.Find(kind, apiVersion);
            Assert.True(type is not null, $"{kind} {apiVersion} is not read");
            var known = type.Fields.Paths().Where(p => p.StartsWith("spec.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

            Assert.Equal(crdPaths, known);
        }
    }

    [Fact]
    public void Known_fields_of_AuthorizationPolicy_are_exactly_those_of_weft_s_CRD_schema()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(SharedFiles.Repository, "deploy", "crds", "policy.weft.dev_authorizationpolicies.yaml"))));
        var crd = (YamlMappingNode)stream.Documents[0].RootNode;
        var version = (YamlMappingNode)Assert.Single(((YamlSequenceNode)crd["spec"]["versions"]).Children);
        Assert.Equal(WeftPolicyApi.ApiVersion, $"{((YamlScalarNode)crd["spec"]["group"]).Value}/{((YamlScalarNode)version["name"]).Value}");
        var schema = (YamlMappingNode)version["schema"]["openAPIV3Schema"]["properties"]["spec"];

        var type = KnownKinds.Find(AuthorizationPolicy.KindName, WeftPolicyApi.ApiVersion)!;
        Assert.True(type.Namespaced);
        Assert.Equal(
            SchemaPaths(schema, "spec").Order(StringComparer.Ordinal),
            type.Fields.Paths().Where(p => p.StartsWith("spec.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    private static IEnumerable<string> SchemaPaths(YamlMappingNode schema, string prefix)
    {
        if (schema.Children.TryGetValue("items", out var items))
        {
            schema = (YamlMappingNode)items;
        }

        if (!schema.Children.TryGetValue("properties", out var properties))
        {
            yield break;
        }

        foreach (var (key, value) in (YamlMappingNode)properties)
        {
            var path = $"{prefix}.{((YamlScalarNode)key).Value}";
            yield return path;
            foreach (var below in SchemaPaths((YamlMappingNode)value, path))
            {
                yield return below;
            }
        }
    }
}
