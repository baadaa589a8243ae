using Weft.Api.Model;

namespace Weft.Routing.Tests;

/// <summary>Mesh settings Weft skips (a value it does not know, or a place it does not read) are named for <c>weft validate</c>; the ones it reads are not.</summary>
public class MeshSettingValuesTests
{
    private static ObjectMeta Meta(string name, Dictionary<string, string>? annotations = null, Dictionary<string, string>? labels = null) =>
        new() { Name = name, Annotations = annotations ?? [], Labels = labels ?? [] };

    private static Namespace Namespace(Dictionary<string, string>? annotations = null, Dictionary<string, string>? labels = null) =>
        new() { ApiVersion = "v1", Metadata = Meta("shop", annotations, labels) };

    private static Deployment Deployment(Dictionary<string, string>? annotations = null, Dictionary<string, string>? labels = null, ObjectMeta? own = null) => new()
    {
        ApiVersion = "apps/v1",
        Metadata = own ?? Meta("web") with { Namespace = "shop" },
        Template = new PodTemplate { Annotations = annotations ?? [], Labels = labels ?? [], Spec = new PodSpec { Containers = [] } },
    };

    [Fact]
    public void A_setting_value_Weft_does_not_know_is_named_with_where_it_is_and_the_values_Weft_reads()
    {
        Assert.Equal(
            [
                "annotation weft.dev/mesh: 'L5' is not one of off, l4, l7; skipped",
                "label weft.dev/outbound-policy: 'registry_only' is not one of allow-any, registry-only; skipped",
            ],
            MeshSettingValues.Skipped(Namespace(new() { ["weft.dev/mesh"] = "L5" }, new() { ["weft.dev/outbound-policy"] = "registry_only" })));
        Assert.Equal(
            [
                "pod template annotation weft.dev/mtls: 'strickt' is not one of strict, permissive; skipped",
                "pod template label weft.dev/default-inbound-policy: 'nobody' is not one of all-unauthenticated, all-authenticated, same-namespace, deny; skipped",
            ],
            MeshSettingValues.Skipped(Deployment(new() { ["weft.dev/mtls"] = "strickt" }, new() { ["weft.dev/default-inbound-policy"] = "nobody" })));
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
            ["weft.dev/other"] = "anything",
        };

        Assert.Empty(MeshSettingValues.Skipped(Deployment(new(settings) { ["weft.dev/trace-sampling"] = "0.5" }, settings)));
        Assert.Empty(MeshSettingValues.Skipped(Namespace(settings, new() { ["weft.dev/mesh"] = "l4" })));
    }

    [Fact]
    public void A_tracing_annotation_that_does_not_parse_or_is_where_Weft_does_not_read_tracing_is_named()
    {
        var sampling = new Dictionary<string, string> { ["weft.dev/trace-sampling"] = "2" };

        Assert.Equal(
            ["pod template annotation weft.dev/trace-sampling: '2' is not a number from 0 to 1; the mesh's tracing applies"],
            MeshSettingValues.Skipped(Deployment(sampling)));
        Assert.Equal(
            ["pod template label weft.dev/trace-sampling is not read: tracing is read from annotations, not labels"],
            MeshSettingValues.Skipped(Deployment(labels: sampling)));
        Assert.Equal(
            ["annotation weft.dev/trace-sampling is not read: tracing is read from pod templates and pods, not namespaces"],
            MeshSettingValues.Skipped(Namespace(sampling)));
        Assert.Equal(
            ["label weft.dev/trace-sampling is not read: tracing is read from pod templates and pods, not namespaces"],
            MeshSettingValues.Skipped(Namespace(labels: sampling)));
    }

    [Fact]
    public void A_pod_s_allow_any_is_named_as_not_read_since_a_pod_may_only_tighten_its_namespace_s_policy()
    {
        Assert.Equal(
            ["pod template annotation weft.dev/outbound-policy: 'Allow-Any' is not read: a pod may only tighten its namespace's outbound policy (to registry-only)"],
            MeshSettingValues.Skipped(Deployment(new() { ["weft.dev/outbound-policy"] = "Allow-Any" })));
        Assert.Empty(MeshSettingValues.Skipped(Deployment(new() { ["weft.dev/outbound-policy"] = "registry-only" })));
        Assert.Empty(MeshSettingValues.Skipped(Namespace(new() { ["weft.dev/outbound-policy"] = "allow-any" })));
    }

    [Fact]
    public void A_setting_on_a_Deployment_s_own_metadata_is_named_as_not_read()
    {
        var own = Meta("web", new() { ["weft.dev/mtls"] = "permissive" }, new() { ["weft.dev/mesh"] = "l4" }) with { Namespace = "shop" };

        Assert.Equal(
            [
                "annotation weft.dev/mtls is not read: Weft reads its pod template's (spec.template.metadata), not the Deployment's own",
                "label weft.dev/mesh is not read: Weft reads its pod template's (spec.template.metadata), not the Deployment's own",
            ],
            MeshSettingValues.Skipped(Deployment(own: own)));
    }

    [Theory]
    [InlineData(null, "l7", null)]
    [InlineData(null, "l4", null)]
    [InlineData("off", null, null)]
    [InlineData(null, null, null)]
    [InlineData("l7", "l7", null)]
    [InlineData(null, "L7", "can start without a sidecar")]
    [InlineData("l7", null, "can start without a sidecar")]
    [InlineData("l4", "off", "can start without a sidecar")]
    [InlineData("off", "l7", "cannot start while the injector is unreachable")]
    public void A_namespace_whose_level_and_the_injector_s_webhook_selection_disagree_is_warned_of_not_skipped(string? annotation, string? label, string? warned)
    {
        var ns = Namespace(
            annotation is null ? null : new() { ["weft.dev/mesh"] = annotation },
            label is null ? null : new() { ["weft.dev/mesh"] = label });

        var warnings = MeshSettingValues.Warnings(ns, ["kube-system"]).ToList();

        Assert.Empty(MeshSettingValues.Skipped(ns));
        Assert.Equal(warned is null ? 0 : 1, warnings.Count);
        Assert.All(warnings, w => Assert.Contains(warned!, w, StringComparison.Ordinal));
        Assert.Empty(MeshSettingValues.Warnings(ns, ["shop"])); // a namespace neither webhook selects
    }
}
