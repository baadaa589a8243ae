using Weft.Api.Model;

namespace Weft.Api.Tests.Loading;

public sealed class ManifestLoaderTests
{
    public static TheoryData<string> ConformanceFiles() => [.. SharedFiles.MeshManifests()];

    [Theory]
    [MemberData(nameof(ConformanceFiles))]
    public void Upstream_mesh_conformance_manifest_loads_with_zero_problems_and_the_expected_kinds(string file)
    {
        var result = ManifestLoader.LoadPaths([file]);

        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems.Select(p => p.ToDisplayString())));
        Assert.Empty(result.Skipped);

        // Every document's kind is one Weft reads, so the kinds loaded are exactly the kinds written.
        var written = File.ReadAllLines(file).Where(l => l.StartsWith("kind: ", StringComparison.Ordinal)).Select(l => l[6..].Trim()).ToList();
        Assert.Equal(written, result.Objects.Select(o => o.Kind));
    }

    [Fact]
    public void Base_mesh_manifests_have_namespaces_services_and_deployments()
    {
        var result = ManifestLoader.LoadPaths([Path.Combine(SharedFiles.ConformanceDir, "upstream", "mesh", "manifests.yaml")]);

        Assert.Empty(result.Problems);
        var echo = result.OfKind<Service>().Single(s => s.Name == "echo-v1");
        Assert.Equal("gateway-conformance-mesh", echo.Namespace);
        var http = echo.Spec.Ports.Single(p => p.Name == "http");
        Assert.Equal(80, http.Port);
        Assert.Equal(IntOrString.Of(8080), http.TargetPort);
        Assert.Equal(IntOrString.Of(8080), echo.Spec.Ports.Single(p => p.Name == "http-alt").TargetPort);
        Assert.Contains(result.OfKind<Namespace>(), n => n.Name == "gateway-conformance-mesh" && n.Metadata.Namespace is null);
        Assert.NotEmpty(result.OfKind<Deployment>());
    }

    [Fact]
    public void Directory_loads_recursively_sorted_by_path_and_only_manifest_extensions()
    {
        var dir = Directory.CreateTempSubdirectory("weft-api-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "sub", "deeper"));
            File.WriteAllText(Path.Combine(dir.FullName, "b.yaml"), NamespaceYaml("b"));
            File.WriteAllText(Path.Combine(dir.FullName, "a.yml"), NamespaceYaml("a"));
            File.WriteAllText(Path.Combine(dir.FullName, "sub", "deeper", "c.json"), """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"c"}}""");
            File.WriteAllText(Path.Combine(dir.FullName, "sub", "notes.txt"), "not: yaml: [");

            var result = ManifestLoader.LoadPaths([dir.FullName]);

            Assert.Empty(result.Problems);
            Assert.Equal(["a", "b", "c"], result.Objects.Select(o => o.Name));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_path_is_an_Unreadable_problem()
    {
        var result = ManifestLoader.LoadPaths(["/no/such/weft/manifests.yaml"]);

        var problem = Assert.Single(result.Problems);
        Assert.Equal(ProblemKind.Unreadable, problem.Kind);
        Assert.True(result.HasUnreadable);
        Assert.Contains("/no/such/weft/manifests.yaml", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_yaml_is_a_Syntax_problem_with_line_and_column()
    {
        var yaml = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: ok
              labels: [unclosed
            """;

        var result = ManifestLoader.LoadText(yaml, "broken.yaml");

        var problem = Assert.Single(result.Problems);
        Assert.Equal(ProblemKind.Syntax, problem.Kind);
        Assert.Equal("broken.yaml", problem.File);
        Assert.True(problem.Line >= 5, problem.ToString());
        Assert.NotNull(problem.Column);
        Assert.StartsWith($"broken.yaml:{problem.Line}:", problem.ToString(), StringComparison.Ordinal);
        Assert.Empty(result.Objects);
    }

    [Fact]
    public void Bad_indentation_is_a_Syntax_problem_not_a_crash()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n    bad: indent\n");

        Assert.Equal(ProblemKind.Syntax, Assert.Single(result.Problems).Kind);
    }

    [Fact]
    public void Unknown_kind_is_skipped_not_fatal()
    {
        var yaml = """
            apiVersion: v1
            kind: Secret
            metadata:
              name: settings
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              name: gw
            ---
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata:
              name: knative
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: kept
            """;

        var result = Manifests.Load(yaml);

        Assert.Empty(result.Problems);
        Assert.Equal(["Secret", "Gateway", "Service"], result.Skipped.Select(s => s.Kind));
        Assert.Equal(new SkippedObject("Service", "serving.knative.dev/v1", "knative", "test.yaml", 11), result.Skipped[2]);
        Assert.Equal("kept", Assert.Single(result.Objects).Name);
    }

    // kubectl apply: 'no matches for kind "HTTPRoute" in version "gateway.networking.k8s.io/v9"' (the server does not serve it).
    [Theory]
    [InlineData("gateway.networking.k8s.io/v9", "HTTPRoute", "HTTPRoute is served at gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1beta1")]
    [InlineData("apps/v1beta1", "Deployment", "Deployment is served at apps/v1")]
    [InlineData("gateway.networking.k8s.io/v1", "HTTPRoot", "did you mean HTTPRoute? (served at gateway.networking.k8s.io/v1, gateway.networking.k8s.io/v1beta1)")]
    [InlineData("policy.weft.dev/v1alpha1", "AuthorisationPolicy", "did you mean AuthorizationPolicy? (served at policy.weft.dev/v1alpha1)")]
    [InlineData("gateway.networking.x-k8s.io/v1alpha1", "XBackends", "did you mean XBackend? (served at gateway.networking.x-k8s.io/v1alpha1)")]
    public void A_kind_or_version_Weft_s_API_does_not_serve_is_a_problem_as_kubectl_apply_refuses_it(string apiVersion, string kind, string hint)
    {
        var result = Manifests.Load($"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: r, namespace: shop}}\nspec: {{}}\n");

        var problem = Assert.Single(result.Problems);
        Assert.Equal((ProblemKind.Invalid, $"no matches for kind \"{kind}\" in version \"{apiVersion}\"", hint), (problem.Kind, problem.Message, problem.Hint));
        Assert.Empty(result.Skipped);
        Assert.Empty(result.Objects);
    }

    [Fact]
    public void ConfigMap_data_is_read_for_the_CA_bundles_backends_name()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: example-ca, namespace: shop}\ndata:\n  ca.crt: |\n    -----BEGIN CERTIFICATE-----\n    abc\n");

        Assert.Empty(result.Problems);
        var map = Assert.IsType<ConfigMap>(Assert.Single(result.Objects));
        Assert.Equal(("shop/example-ca", "-----BEGIN CERTIFICATE-----\nabc\n"), (map.Key, map.Data[ConfigMap.CaCertificateKey]));
    }

    [Fact]
    public void Kind_List_loads_its_items()
    {
        var yaml = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata:
                name: one
            - apiVersion: v1
              kind: ServiceAccount
              metadata:
                name: two
            """;

        var result = Manifests.Load(yaml);

        Assert.Empty(result.Problems);
        Assert.Equal(["Namespace", "ServiceAccount"], result.Objects.Select(o => o.Kind));
        Assert.Equal(8, result.Objects[1].Source.Line);
    }

    [Fact]
    public void Json_manifest_loads()
    {
        var json = """
            {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "echo", "namespace": "ns"},
             "spec": {"selector": {"app": "echo"}, "ports": [{"port": 80, "targetPort": "http"}]}}
            """;

        var service = Manifests.LoadOne<Service>(json);

        Assert.Equal(IntOrString.Of("http"), service.Spec.Ports[0].TargetPort);
    }

    [Fact]
    public void Wrong_field_type_is_Invalid_with_the_field_path()
    {
        var yaml = """
            apiVersion: v1
            kind: Service
            metadata:
              name: echo
            spec:
              ports:
              - port: abc
            """;

        var problem = Assert.Single(Manifests.Load(yaml).Problems);

        Assert.Equal(ProblemKind.Invalid, problem.Kind);
        Assert.Equal("spec.ports[0].port", problem.FieldPath);
        Assert.Equal(7, problem.Line);
        Assert.Equal("test.yaml:7:11: Service default/echo is invalid: spec.ports[0].port: Invalid value: \"string\": spec.ports[0].port in body must be of type integer: \"string\"", problem.ToString());
    }

    [Fact]
    public void List_where_a_map_is_expected_is_Invalid()
    {
        var problem = Assert.Single(Manifests.Load(Manifests.HttpRoute("  rules:\n  - timeouts: [1s]")).Problems);

        Assert.Equal("spec.rules[0].timeouts", problem.FieldPath);
        Assert.Contains("must be of type object", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_kind_is_Invalid()
    {
        var problem = Assert.Single(Manifests.Load("apiVersion: v1\nmetadata:\n  name: x\n").Problems);

        Assert.Equal("kind", problem.FieldPath);
    }

    [Fact]
    public void Empty_documents_are_ignored()
    {
        var result = Manifests.Load("---\n" + NamespaceYaml("a") + "\n---\n---\n");

        Assert.Empty(result.Problems);
        Assert.Single(result.Objects);
    }

    [Fact]
    public void Field_lines_are_recorded_for_mapped_paths()
    {
        var route = Manifests.LoadOne<HttpRoute>(Manifests.HttpRule("""
            matches:
            - path:
                type: Exact
                value: /a
            backendRefs:
            - name: echo-v1
              port: 8080
            """));

        Assert.Equal(1, route.Source.Line);
        Assert.Equal("test.yaml", route.Source.File);
        Assert.Equal(8, route.Source.LineOf("spec.parentRefs[0]"));
        Assert.Equal(16, route.Source.LineOf("spec.rules[0].matches[0].path.value"));
        Assert.Equal(19, route.Source.LineOf("spec.rules[0].backendRefs[0].port"));
    }

    [Fact]
    public void Problem_ToString_is_formatted_like_kubectl()
    {
        var problem = new ManifestProblem(ProblemKind.Invalid, "routes.yaml", 12, null, "HTTPRoute", "gateway-conformance-mesh", "bad",
            "spec.rules[0].backendRefs[0]", "Invalid value: \"object\": Must have port for Service reference");

        Assert.Equal("routes.yaml:12: HTTPRoute gateway-conformance-mesh/bad is invalid: spec.rules[0].backendRefs[0]: Invalid value: \"object\": Must have port for Service reference",
            problem.ToString());
    }

    private static string NamespaceYaml(string name) => $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n";

    // A kind of an earlier release (XListenerSet, v1.4), a newer one's, another project's: not Weft's to refuse.
    [Theory]
    [InlineData("gateway.networking.x-k8s.io/v1alpha1", "XListenerSet")]
    [InlineData("gateway.networking.k8s.io/v1", "BackendLBPolicy")]
    [InlineData("gateway.networking.x-k8s.io/v1alpha1", "Frobnicator")]
    public void A_kind_Weft_does_not_read_and_no_slip_of_one_is_skipped(string apiVersion, string kind)
    {
        var result = Manifests.Load($"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: r, namespace: shop}}\nspec: {{}}\n");

        Assert.Empty(result.Problems);
        Assert.Equal(kind, Assert.Single(result.Skipped).Kind);
    }
}
