using Weft.Api.Model;

namespace Weft.Routing.Tests;

/// <summary>Mesh settings whose value Weft skips are named (for <c>weft validate</c>); the ones it reads are not.</summary>
public class MeshSettingValuesTests
{
    private static ObjectMeta Meta(string name, Dictionary<string, string>? annotations = null, Dictionary<string, string>? labels = null) =>
        new() { Name = name, Annotations = annotations ?? [], Labels = labels ?? [] };

    private static Deployment Deployment(Dictionary<string, string>? annotations = null, Dictionary<string, string>? labels = null) => new()
    {
        ApiVersion = "apps/v1",
        Metadata = Meta("web") with { Namespace = "shop" },
        Template = new PodTemplate { Annotations = annotations ?? [], Labels = labels ?? [], Spec = new PodSpec { Containers = [] } },
    };

    [Fact]
    public void A_setting_value_Weft_does_not_know_is_named_with_where_it_is_and_the_values_Weft_reads()
    {
        var ns = new Namespace
        {
            ApiVersion = "v1",
            Metadata = Meta("shop", annotations: new() { ["weft.dev/mesh"] = "L5" }, labels: new() { ["weft.dev/outbound-policy"] = "registry_only" }),
        };

        Assert.Equal(
            [
                "annotation weft.dev/mesh: 'L5' is not one of off, l4, l7; skipped",
                "label weft.dev/outbound-policy: 'registry_only' is not one of allow-any, registry-only; skipped",
            ],
            MeshSettingValues.Unknown(ns));
        Assert.Equal(
            [
                "pod template annotation weft.dev/mtls: 'strickt' is not one of strict, permissive; skipped",
                "pod template label weft.dev/default-inbound-policy: 'nobody' is not one of all-unauthenticated, all-authenticated, same-namespace, deny; skipped",
            ],
            MeshSettingValues.Unknown(Deployment(new() { ["weft.dev/mtls"] = "strickt" }, new() { ["weft.dev/default-inbound-policy"] = "nobody" })));
    }

    [Fact]
    public void Values_Weft_reads_in_any_case_and_with_blanks_are_not_named()
    {
        var settings = new Dictionary<string, string>
        {
            ["weft.dev/mesh"] = " L4 ",
            ["weft.dev/mtls"] = "PERMISSIVE",
            ["weft.dev/default-inbound-policy"] = "Deny",
            ["weft.dev/outbound-policy"] = "Registry-Only",
            ["weft.dev/trace-sampling"] = "0.5",
            ["weft.dev/other"] = "anything",
        };

        Assert.Empty(MeshSettingValues.Unknown(Deployment(settings, settings)));
        Assert.Empty(MeshSettingValues.Unknown(new Namespace { ApiVersion = "v1", Metadata = Meta("shop", settings, settings) }));
    }

    [Fact]
    public void A_tracing_annotation_that_does_not_parse_is_named_where_Weft_reads_tracing()
    {
        var sampling = new Dictionary<string, string> { ["weft.dev/trace-sampling"] = "2" };

        Assert.Equal(
            ["pod template annotation weft.dev/trace-sampling: '2' is not a number from 0 to 1; the mesh's tracing applies"],
            MeshSettingValues.Unknown(Deployment(sampling)));
        // Tracing is read from pods' annotations only, so a namespace's is not a skipped setting.
        Assert.Empty(MeshSettingValues.Unknown(new Namespace { ApiVersion = "v1", Metadata = Meta("shop", sampling) }));
    }
}
