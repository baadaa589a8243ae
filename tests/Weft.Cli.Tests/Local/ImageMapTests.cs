using Weft.Api.Model;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

public sealed class ImageMapTests
{
    private static readonly WeftLauncher Weft = new("/usr/bin/dotnet", ["/opt/weft/weft.dll"]);

    [Theory]
    [InlineData("registry.k8s.io/gateway-api/echo-advanced:v1.5.1", true)]
    [InlineData("registry.k8s.io/gateway-api/conformance/echo-advanced:v0.1.0", true)]
    [InlineData("gcr.io/k8s-staging-gateway-api/echo-basic:v20240412", true)]
    [InlineData("nginx:1.27", false)]
    public void Echo_images_are_recognised(string image, bool isEcho) => Assert.Equal(isEcho, ImageMap.IsEcho(image));

    [Fact]
    public void The_echo_image_runs_weft_echo_with_the_container_args()
    {
        var container = new Container { Name = "echo", Image = "registry.k8s.io/gateway-api/echo-advanced:v1.5.1", Args = ["--port=8080", "--grpc=7070"] };
        var (command, error) = new ImageMap([]).Resolve(container, "ns", "pod", "127.20.2.1", Weft);

        Assert.Null(error);
        Assert.Equal("/usr/bin/dotnet", command!.FileName);
        Assert.Equal(["/opt/weft/weft.dll", "echo", "--port=8080", "--grpc=7070"], command.Arguments);
    }

    [Fact]
    public void Other_images_map_through_the_longest_matching_prefix()
    {
        var map = new ImageMap(ImageMap.Parse("ghcr.io/acme/: generic\nghcr.io/acme/cart: '\"./cart --listen {podIP}:8080\" {args} --pod={pod}'\n", "weft-images.yaml"));
        var container = new Container { Name = "cart", Image = "ghcr.io/acme/cart:1.2", Args = ["--verbose"] };

        var (command, _) = map.Resolve(container, "shop", "cart-1", "127.20.2.9", Weft);

        Assert.Equal("./cart --listen 127.20.2.9:8080", command!.FileName);
        Assert.Equal(["--verbose", "--pod=cart-1"], command.Arguments);
    }

    [Fact]
    public void The_weft_placeholder_is_this_weft()
    {
        var map = new ImageMap([new("busybox", "{weft} echo --port=9000")]);
        var (command, _) = map.Resolve(new Container { Name = "c", Image = "busybox:1" }, "ns", "p", "127.20.2.1", Weft);

        Assert.Equal(["/opt/weft/weft.dll", "echo", "--port=9000"], command!.Arguments);
    }

    [Fact]
    public void An_unmapped_image_is_an_error_that_says_how_to_map_it()
    {
        var (command, error) = new ImageMap([]).Resolve(new Container { Name = "web", Image = "nginx:1.27" }, "ns", "p", "127.20.2.1", Weft);

        Assert.Null(command);
        Assert.Contains("nginx:1.27", error, StringComparison.Ordinal);
        Assert.Contains(ImageMap.LocalFileName, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData("'a b' \"c d\" e\\ f", new[] { "a b", "c d", "e f" })]
    [InlineData("x='1 2'", new[] { "x=1 2" })]
    [InlineData("''", new[] { "" })]
    public void Command_templates_split_like_a_shell(string text, string[] words) => Assert.Equal(words, ImageMap.Split(text));
}
