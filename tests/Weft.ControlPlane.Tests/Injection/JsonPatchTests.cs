using System.Text.Json.Nodes;
using Weft.ControlPlane.Injection;
using Xunit;

namespace Weft.ControlPlane.Tests.Injection;

public class JsonPatchTests
{
    private static JsonObject Apply(string document, string patch) =>
        JsonPatch.Apply(JsonNode.Parse(document)!.AsObject(), JsonNode.Parse(patch)!.AsArray());

    [Fact]
    public void Add_to_an_object_member_sets_it_and_escaped_tokens_name_keys_with_slash_and_tilde()
    {
        var result = Apply("""{"a": {"x": 1}}""", """[{"op": "add", "path": "/a/weft.dev~1mesh", "value": "l7"}, {"op": "add", "path": "/a/t~0k", "value": 2}, {"op": "add", "path": "/a/x", "value": 3}]""");

        Assert.Equal("""{"a":{"x":3,"weft.dev/mesh":"l7","t~k":2}}""", result.ToJsonString());
    }

    [Fact]
    public void Add_to_an_array_inserts_at_the_index_or_appends_with_dash()
    {
        var result = Apply("""{"a": [1, 2]}""", """[{"op": "add", "path": "/a/0", "value": 0}, {"op": "add", "path": "/a/-", "value": 3}, {"op": "add", "path": "/a/4", "value": 4}]""");

        Assert.Equal("""{"a":[0,1,2,3,4]}""", result.ToJsonString());
    }

    [Fact]
    public void Remove_and_replace_need_the_member_to_exist()
    {
        Assert.Equal("""{"a":[2],"b":5}""", Apply("""{"a": [1, 2], "b": 4}""", """[{"op": "remove", "path": "/a/0"}, {"op": "replace", "path": "/b", "value": 5}]""").ToJsonString());
        Assert.Throws<FormatException>(() => Apply("""{"a": 1}""", """[{"op": "remove", "path": "/b"}]"""));
        Assert.Throws<FormatException>(() => Apply("""{"a": [1]}""", """[{"op": "replace", "path": "/a/1", "value": 0}]"""));
    }

    [Fact]
    public void A_patch_that_does_not_apply_leaves_the_document_untouched_and_throws()
    {
        var document = JsonNode.Parse("""{"a": {}}""")!.AsObject();

        Assert.Throws<FormatException>(() => JsonPatch.Apply(document, JsonNode.Parse("""[{"op": "add", "path": "/a/b", "value": 1}, {"op": "add", "path": "/missing/x", "value": 1}]""")!.AsArray()));
        Assert.Throws<FormatException>(() => JsonPatch.Apply(document, JsonNode.Parse("""[{"op": "move", "from": "/a", "path": "/b"}]""")!.AsArray()));
        Assert.Throws<FormatException>(() => JsonPatch.Apply(document, JsonNode.Parse("""[{"op": "add", "path": "a", "value": 1}]""")!.AsArray()));
        Assert.Equal("""{"a":{}}""", document.ToJsonString());
    }

    [Theory]
    [InlineData("""[{"op": 1, "path": "/a"}]""")]
    [InlineData("""[{"op": "add", "path": ["/a"], "value": 1}]""")]
    [InlineData("""[{"op": "add", "path": "/a/01", "value": 1}]""")]
    [InlineData("""[{"op": "add", "path": "/a/-1", "value": 1}]""")]
    public void Operations_that_are_not_rfc_6902_are_format_errors(string patch)
    {
        Assert.Throws<FormatException>(() => Apply("""{"a": [1, 2]}""", patch));
    }
}
