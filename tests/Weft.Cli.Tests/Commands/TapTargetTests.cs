using Weft.Cli.Commands;

namespace Weft.Cli.Tests.Commands;

/// <summary>What <c>weft tap</c> and <c>weft top</c> accept as a target and as <c>--to</c>.</summary>
public sealed class TapTargetTests
{
    [Theory]
    [InlineData("deploy/cart", "deploy", "cart")]
    [InlineData("deployment/cart", "deploy", "cart")]
    [InlineData("cart", "deploy", "cart")]
    [InlineData("pod/cart-5d8f7c9b4-x2k7q", "pod", "cart-5d8f7c9b4-x2k7q")]
    [InlineData("po/cart-1", "pod", "cart-1")]
    public void A_target_names_a_deployment_or_a_pod(string text, string kind, string name)
    {
        Assert.True(TapTarget.TryParse(text, out var parsedKind, out var parsedName, out var error), error);
        Assert.Equal((kind, name), (parsedKind, parsedName));
    }

    [Theory]
    [InlineData("svc/cart", "cannot tap 'svc/cart': name deploy/NAME or pod/NAME")]
    [InlineData("deploy/", "'deploy/' names no deploy")]
    public void Anything_else_is_refused_saying_what_to_name(string text, string expected)
    {
        Assert.False(TapTarget.TryParse(text, out _, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("svc/cart", true, "shop/cart")]
    [InlineData("service/cart", true, "shop/cart")]
    [InlineData("cart", true, "shop/cart")]
    [InlineData("deploy/cart", false, "")]
    [InlineData("svc/", false, "")]
    [InlineData("svc/other/cart", false, "")]
    public void To_names_the_destination_Service_in_the_tapped_namespace(string text, bool ok, string service)
    {
        Assert.Equal(ok, TapTarget.TryParseTo(text, "shop", out var parsed, out _));
        Assert.Equal(service, ok ? parsed : "");
    }
}
