using Weft.Api.Model;

namespace Weft.Api.Tests.Loading;

public sealed class ManifestLoaderEdgeCaseTests
{
    [Fact]
    public void Duplicate_mapping_key_is_a_Syntax_problem_not_a_crash()
    {
        var result = Manifests.Load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n");

        Assert.Contains(result.Problems, p => p.Kind == ProblemKind.Syntax && p.Line > 0);
    }

    [Fact]
    public void Quoted_number_where_an_integer_belongs_is_Invalid()
    {
        var problem = Assert.Single(Manifests.Load(Manifests.HttpRule("backendRefs:\n- name: echo-v1\n  port: \"80\"")).Problems);

        Assert.Equal("spec.rules[0].backendRefs[0].port", problem.FieldPath);
        Assert.Equal("write spec.rules[0].backendRefs[0].port as an integer without quotes", problem.Hint);
    }

    [Fact]
    public void Every_violation_of_an_object_is_reported_and_the_object_is_dropped()
    {
        var result = Manifests.Load(Manifests.HttpRule("matches:\n- path: {type: Exact, value: rel}\n  method: FETCH\nbackendRefs:\n- name: echo-v1"));

        Assert.Empty(result.Objects);
        Assert.Equal(3, result.Problems.Count);
        Assert.All(result.Problems, p => Assert.Equal(("HTTPRoute", "gateway-conformance-mesh", "bad"), (p.ObjectKind, p.ObjectNamespace, p.ObjectName)));
    }

    [Fact]
    public void Yaml_anchors_and_aliases_are_resolved()
    {
        var yaml = """
            apiVersion: v1
            kind: Service
            metadata:
              name: echo
              labels: &labels {app: echo}
            spec:
              selector: *labels
              ports: [{port: 80}]
            """;

        Assert.Equal("echo", Manifests.LoadOne<Model.Service>(yaml).Spec.Selector!["app"]);
    }
}
