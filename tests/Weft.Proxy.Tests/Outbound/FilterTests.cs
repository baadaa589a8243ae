using System.Net;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;
using static Weft.Proxy.Tests.Infrastructure.Policies;

namespace Weft.Proxy.Tests.Outbound;

public sealed class FilterTests
{
    [Theory]
    [InlineData("/hostname-redirect", 301, "example.org", null, null, null, "http://example.org/hostname-redirect")]
    [InlineData("/port", 302, null, 8083, null, null, "http://echo:8083/port")]
    [InlineData("/scheme", 302, null, null, "https", null, "https://echo/scheme")]
    [InlineData("/original-prefix/lemon?q=1", 302, null, null, null, "/replacement-prefix", "http://echo/replacement-prefix/lemon?q=1")]
    public async Task RequestRedirect_responds_with_status_and_Location(string path, int status, string? hostname, int? port, string? scheme, string? prefixReplacement, string expected)
    {
        var redirect = new RedirectPolicy
        {
            StatusCode = status,
            Hostname = hostname,
            Port = port,
            Scheme = scheme,
            Path = prefixReplacement is null ? null : new PathModifierPolicy { Type = "ReplacePrefixMatch", Value = prefixReplacement, MatchedPrefix = "/original-prefix" },
        };
        var match = prefixReplacement is null ? PathPrefix("/") : PathPrefix("/original-prefix");
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(match, [new FilterPolicy { Kind = FilterKind.RequestRedirect, Redirect = redirect }])])));

        var (response, seen) = await mesh.GetAsync("http://echo" + path);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(expected, response.Headers.Location?.OriginalString);
        Assert.Null(seen);
    }

    [Theory]
    [InlineData("ReplacePrefixMatch", "/prefix/one", "/one", "/one/two")]
    [InlineData("ReplacePrefixMatch", "/prefix/one", "", "/two")]
    [InlineData("ReplaceFullPath", "/prefix/one", "/full", "/full")]
    public async Task URLRewrite_path_reaches_the_backend(string type, string prefix, string replacement, string expected)
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        var rewrite = new RewritePolicy { Path = new PathModifierPolicy { Type = type, Value = replacement, MatchedPrefix = prefix } };
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80,
            [Rule(PathPrefix(prefix), [new FilterPolicy { Kind = FilterKind.UrlRewrite, Rewrite = rewrite }], Backend(echo))])));

        var (response, seen) = await mesh.GetAsync("http://echo/prefix/one/two?keep=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, seen?.Path);
        Assert.Equal("?keep=1", seen?.Query);
        Assert.Equal("echo", seen?.Headers["host"]);
    }

    [Fact]
    public async Task URLRewrite_hostname_replaces_the_Host_sent_upstream()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        var rewrite = new RewritePolicy { Hostname = "mydomain.example.com" };
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80,
            [Rule(filters: [new FilterPolicy { Kind = FilterKind.UrlRewrite, Rewrite = rewrite }], backends: Backend(echo))])));

        var (_, seen) = await mesh.GetAsync("http://echo/");

        Assert.Equal("mydomain.example.com", seen?.Headers["host"]);
    }

    [Fact]
    public async Task RequestHeaderModifier_sets_adds_and_removes()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        var modifier = new HeaderModifierPolicy
        {
            Set = [Header("X-Header-Set", "set-overwrites-values")],
            Add = [Header("X-Header-Add", "add-appends-values")],
            Remove = ["X-Header-Remove"],
        };
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(filters: [RequestHeaders(modifier)], backends: Backend(echo))])));

        var (_, seen) = await mesh.GetAsync("http://echo/",
            ("X-Header-Set", "some-other-value"), ("X-Header-Add", "some-other-value"), ("X-Header-Remove", "val"), ("X-Other", "kept"));

        Assert.NotNull(seen);
        Assert.Equal("set-overwrites-values", seen.Headers["x-header-set"]);
        Assert.Equal("some-other-value,add-appends-values", seen.Headers["x-header-add"]);
        Assert.False(seen.Headers.ContainsKey("x-header-remove"));
        Assert.Equal("kept", seen.Headers["x-other"]);
    }

    [Fact]
    public async Task Backend_level_RequestHeaderModifier_runs_for_its_backend_only()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        var backend = Backend("echo-v1", 1, [RequestHeaders(new HeaderModifierPolicy { Set = [Header("x-backend-filter", "yes")] })], echo);
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(backends: backend)])));

        var (_, seen) = await mesh.GetAsync("http://echo/");

        Assert.Equal("yes", seen?.Headers["x-backend-filter"]);
    }

    [Fact]
    public async Task ResponseHeaderModifier_edits_the_backend_response()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        var modifier = new HeaderModifierPolicy
        {
            Set = [Header("x-backend-fixed", "overwritten")],
            Add = [Header("x-added", "added")],
            Remove = ["x-backend"],
        };
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(filters: [ResponseHeaders(modifier)], backends: Backend(echo))])));

        var response = await mesh.Client.GetAsync("http://echo/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("overwritten", response.Headers.GetValues("x-backend-fixed").Single());
        Assert.Equal("added", response.Headers.GetValues("x-added").Single());
        Assert.False(response.Headers.Contains("x-backend"));
    }

    [Fact]
    public async Task RequestMirror_sends_a_copy_to_the_mirror_backend()
    {
        await using var echo = await TestBackend.StartAsync("echo-v1");
        await using var shadow = await TestBackend.StartAsync("echo-v2");
        var mirror = new FilterPolicy { Kind = FilterKind.RequestMirror, Mirror = new MirrorPolicy { Backend = Backend(shadow) } };
        await using var mesh = await TestMesh.StartAsync(("echo:80", Service("echo", 80, [Rule(filters: [mirror], backends: Backend(echo))])));

        var (response, seen) = await mesh.GetAsync("http://echo/mirrored", ("x-trace", "abc"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo-v1", seen?.Backend);
        await Eventually.TrueAsync(() => !shadow.Received.IsEmpty, "the mirror backend got a copy");
        var copy = Assert.Single(shadow.Received);
        Assert.Equal("/mirrored", copy.Path);
        Assert.Equal("abc", copy.Headers["x-trace"]);
        Assert.Equal("echo", copy.Headers["host"]);
    }
}
