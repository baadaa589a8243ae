using static Weft.Api.Tests.Manifests;

namespace Weft.Api.Tests.Validation;

/// <summary>parentRefs (gamma-spec A6 and L), shared by every route kind.</summary>
public sealed class ParentRefValidationTests
{
    private static string Route(string parentRefs) => $"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: bad
          namespace: {Ns}
        spec:
          parentRefs:
        {Indent(parentRefs, 2)}
        """;

    [Fact]
    public void ParentRefs_same_parent_twice_without_port_or_sectionName_is_rejected_must_be_unique()
    {
        AssertRejected(Route("  - {group: \"\", kind: Service, name: echo}\n- {group: \"\", kind: Service, name: echo}"), "spec.parentRefs",
            "sectionName or port must be unique when parentRefs includes 2 or more references to the same parent");
    }

    [Fact]
    public void ParentRefs_same_parent_with_and_without_port_is_rejected_must_be_specified()
    {
        AssertRejected(Route("  - {group: \"\", kind: Service, name: echo, port: 80}\n- {group: \"\", kind: Service, name: echo}"), "spec.parentRefs",
            "sectionName or port must be specified when parentRefs includes 2 or more references to the same parent");
    }

    [Fact]
    public void ParentRefs_same_parent_with_distinct_ports_is_accepted()
    {
        var result = Load(Route("  - {group: \"\", kind: Service, name: echo, port: 80}\n- {group: \"\", kind: Service, name: echo, port: 8080}"));

        Assert.Empty(result.Problems);
        var route = Assert.IsType<Weft.Api.Model.HttpRoute>(Assert.Single(result.Objects));
        Assert.Equal([80, 8080], route.ParentRefs.Select(p => p.Port));
        Assert.All(route.ParentRefs, p => Assert.Equal(("", "Service", "echo"), (p.Group, p.Kind, p.Name)));
    }

    [Fact]
    public void ParentRefs_at_most_32()
    {
        var refs = string.Join("\n", Enumerable.Range(0, 33).Select(i => $"- {{group: \"\", kind: Service, name: s{i}}}"));
        AssertRejected(Route("  " + refs), "spec.parentRefs", "Too many: 33: must have at most 32 items");
    }

    [Fact]
    public void ParentRef_port_is_1_to_65535()
    {
        AssertRejected(Route("  - {group: \"\", kind: Service, name: echo, port: 65536}"), "spec.parentRefs[0].port", "should be less than or equal to 65535");
    }

    [Fact]
    public void ParentRef_namespace_is_an_RFC1123_label()
    {
        AssertRejected(Route("  - {group: \"\", kind: Service, name: echo, namespace: Bad.NS}"), "spec.parentRefs[0].namespace", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'");
    }

    [Fact]
    public void ParentRef_sectionName_is_an_RFC1123_subdomain()
    {
        AssertRejected(Route("  - {group: \"\", kind: Service, name: echo, sectionName: HTTP_port}"), "spec.parentRefs[0].sectionName", "should match");
    }

    [Fact]
    public void ParentRef_kind_matches_the_Kind_pattern()
    {
        AssertRejected(Route("  - {group: \"\", kind: 9Service, name: echo}"), "spec.parentRefs[0].kind", "should match '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$'");
    }

    [Fact]
    public void ParentRef_group_matches_the_Group_pattern()
    {
        AssertRejected(Route("  - {group: Core_Group, kind: Service, name: echo}"), "spec.parentRefs[0].group", "should match '^$|^[a-z0-9]");
    }

    [Fact]
    public void ParentRef_name_is_1_to_253_characters()
    {
        AssertRejected(Route($"  - {{group: \"\", kind: Service, name: {new string('a', 254)}}}"), "spec.parentRefs[0].name", "Too long: may not be more than 253 bytes");
    }

    [Fact]
    public void ParentRef_name_is_required()
    {
        AssertRejected(Route("  - {group: \"\", kind: Service}"), "spec.parentRefs[0].name", "Required value");
    }
}
