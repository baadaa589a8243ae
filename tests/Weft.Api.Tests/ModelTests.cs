using Weft.Api.Model;

namespace Weft.Api.Tests;

public sealed class ObjectSourceTests
{
    [Fact]
    public void LineOf_falls_back_to_nearest_ancestor()
    {
        var source = new ObjectSource("f.yaml", 3, new Dictionary<string, int> { ["spec"] = 7, ["spec.rules[0]"] = 9 });
        Assert.Equal(9, source.LineOf("spec.rules[0].matches[2].path"));
        Assert.Equal(7, source.LineOf("spec.parentRefs"));
        Assert.Equal(3, source.LineOf("metadata.name"));
    }
}
