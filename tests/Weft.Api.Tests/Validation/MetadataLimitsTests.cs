namespace Weft.Api.Tests.Validation;

/// <summary>The API server's object-metadata limits (apimachinery ValidateObjectMeta) that the loader applies too (issue 15, finding 8).</summary>
public sealed class MetadataLimitsTests
{
    private static string Namespace(string metadata) => $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n{metadata}";

    [Fact]
    public void Annotations_over_256_KiB_in_total_are_rejected_with_the_API_servers_message()
    {
        var result = Manifests.Load(Namespace($"  annotations:\n    big: \"{new string('x', 5 * 1024 * 1024)}\"\n"));

        var problem = Assert.Single(result.Problems);
        Assert.Equal(("metadata.annotations", "Too long: may not be more than 262144 bytes"), (problem.FieldPath, problem.Message));
        Assert.Empty(result.Objects);
    }

    [Fact]
    public void Annotation_size_counts_keys_and_values_together()
    {
        // Two halves of 128 KiB of values fit only without their keys: 262144 bytes of values plus "a" and "b".
        var half = new string('x', 128 * 1024);

        var over = Manifests.Load(Namespace($"  annotations:\n    a: \"{half}\"\n    b: \"{half}\"\n"));
        var at = Manifests.Load(Namespace($"  annotations:\n    a: \"{half[1..]}\"\n    b: \"{half[1..]}\"\n"));

        Assert.Equal("metadata.annotations", Assert.Single(over.Problems).FieldPath);
        Assert.Empty(at.Problems);
    }

    [Fact]
    public void An_annotation_key_must_be_a_qualified_name_in_any_case()
    {
        Assert.Empty(Manifests.Load(Namespace("  annotations:\n    Example.COM/Some-Key: v\n")).Problems);
        Assert.Equal("metadata.annotations", Assert.Single(Manifests.Load(Namespace("  annotations:\n    \"not a key\": v\n")).Problems).FieldPath);
    }

    [Theory]
    [InlineData("app: web", true)]
    [InlineData("app.kubernetes.io/name: web", true)]
    [InlineData("app: \"\"", true)]
    [InlineData("app: has space", false)]
    [InlineData("app: -starts-with-dash", false)]
    [InlineData("\"bad key!\": web", false)]
    public void Label_keys_and_values_follow_the_API_servers_rules(string label, bool valid)
    {
        var result = Manifests.Load(Namespace($"  labels:\n    {label}\n"));

        Assert.Equal(valid, result.Problems.Count == 0);
    }

    [Fact]
    public void A_label_value_longer_than_63_characters_is_rejected()
    {
        var problem = Assert.Single(Manifests.Load(Namespace($"  labels:\n    app: {new string('a', 64)}\n")).Problems);

        Assert.Equal("metadata.labels", problem.FieldPath);
        Assert.Contains("at most 63 characters", problem.Message, StringComparison.Ordinal);
    }
}
