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

public sealed class KubeObjectKeyTests
{
    private static readonly Service Shop = new() { ApiVersion = "v1", Metadata = new ObjectMeta { Name = "cart", Namespace = "shop" }, Spec = new ServiceSpec() };

    [Fact]
    public void Key_is_namespace_slash_name_made_once()
    {
        Assert.Equal("shop/cart", Shop.Key);
        Assert.Same(Shop.Key, Shop.Key);
        Assert.Equal("cluster-wide", new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = "cluster-wide" } }.Key);
    }

    [Fact]
    public void Key_follows_the_metadata_a_with_sets_and_equality_is_unchanged()
    {
        Assert.Equal("web/cart", (Shop with { Metadata = Shop.Metadata with { Namespace = "web" } }).Key);
        Assert.Equal("shop/cart", (Shop with { Spec = new ServiceSpec { Type = "ExternalName" } }).Key);
        Assert.Equal(Shop, Shop with { Metadata = Shop.Metadata });
        Assert.NotEqual(Shop, Shop with { Metadata = Shop.Metadata with { Name = "other" } });
    }
}
