using Weft.Routing.Policy;
using Weft.Routing.Resilience;

namespace Weft.Routing.Tests.Resilience;

/// <summary>The HTTPRoute CORS filter (HTTPCORSFilter field docs), one test per rule.</summary>
public sealed class CorsPreflightTests
{
    private static readonly CorsPolicy Listed = new()
    {
        AllowOrigins = ["https://www.foo.com", "https://*.bar.com", "http://local:8080"],
        AllowMethods = ["GET", "PUT"],
        AllowHeaders = ["x-header-1", "x-header-2"],
        ExposeHeaders = ["x-expose"],
        MaxAge = 3600,
    };

    private static string? Get(IReadOnlyList<KeyValuePair<string, string>>? headers, string name) =>
        headers?.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    [Fact]
    public void A_preflight_is_OPTIONS_with_Origin_and_Access_Control_Request_Method()
    {
        Assert.True(CorsPreflight.IsPreflight("OPTIONS", "https://www.foo.com", "PUT"));
        Assert.False(CorsPreflight.IsPreflight("OPTIONS", "https://www.foo.com", null));
        Assert.False(CorsPreflight.IsPreflight("GET", "https://www.foo.com", "PUT"));
    }

    [Fact]
    public void A_matching_origin_is_echoed_with_methods_headers_and_max_age()
    {
        var h = CorsPreflight.Preflight(Listed, "https://www.foo.com", "PUT", "x-header-1");
        Assert.Equal("https://www.foo.com", Get(h, CorsPreflight.AllowOrigin));
        Assert.Equal("GET, PUT", Get(h, CorsPreflight.AllowMethods));
        Assert.Equal("x-header-1, x-header-2", Get(h, CorsPreflight.AllowHeaders));
        Assert.Equal("3600", Get(h, CorsPreflight.MaxAge));
        Assert.Equal("Origin", Get(h, "Vary"));
        Assert.Null(Get(h, CorsPreflight.AllowCredentials));
    }

    [Fact]
    public void An_origin_that_does_not_match_gets_no_CORS_headers()
    {
        Assert.Null(CorsPreflight.Preflight(Listed, "https://www.evil.com", "GET", null));
        Assert.Null(CorsPreflight.Preflight(Listed, "http://www.foo.com", "GET", null)); // scheme differs
        Assert.Empty(CorsPreflight.ForResponse(Listed, "https://www.evil.com"));
    }

    [Theory]
    [InlineData("https://a.bar.com", true)]
    [InlineData("https://a.b.bar.com", true)] // '*' is greedy to the left: any number of labels
    [InlineData("https://bar.com", false)]
    [InlineData("https://a.bar.com:443", true)] // the scheme's default port
    [InlineData("https://a.bar.com:8443", false)]
    [InlineData("http://local:8080", true)]
    [InlineData("http://local", false)]
    public void Origins_match_by_scheme_host_with_wildcards_and_port(string origin, bool allowed) =>
        Assert.Equal(allowed, CorsPreflight.OriginAllowed(Listed, origin));

    [Fact]
    public void Wildcards_without_credentials_may_be_sent_as_wildcards()
    {
        var any = new CorsPolicy { AllowOrigins = ["*"], AllowMethods = ["*"], AllowHeaders = ["*"], ExposeHeaders = ["*"] };
        var h = CorsPreflight.Preflight(any, "https://x.example", "DELETE", "a, b");
        Assert.Equal("*", Get(h, CorsPreflight.AllowOrigin));
        Assert.Equal("*", Get(h, CorsPreflight.AllowMethods));
        Assert.Equal("*", Get(h, CorsPreflight.AllowHeaders));
        Assert.Equal("*", Get(CorsPreflight.ForResponse(any, "https://x.example"), CorsPreflight.ExposeHeaders));
    }

    [Fact]
    public void Wildcards_with_credentials_echo_the_request_instead()
    {
        var any = new CorsPolicy { AllowOrigins = ["*"], AllowMethods = ["*"], AllowHeaders = ["*"], ExposeHeaders = ["*"], AllowCredentials = true };
        var h = CorsPreflight.Preflight(any, "https://x.example", "DELETE", "a,b");
        Assert.Equal("https://x.example", Get(h, CorsPreflight.AllowOrigin));
        Assert.Equal("true", Get(h, CorsPreflight.AllowCredentials));
        Assert.Equal("DELETE", Get(h, CorsPreflight.AllowMethods));
        Assert.Equal("a, b", Get(h, CorsPreflight.AllowHeaders));
        Assert.Equal("x-one, x-two", Get(CorsPreflight.ForResponse(any, "https://x.example", ["x-one", "x-two"]), CorsPreflight.ExposeHeaders));
    }

    [Fact]
    public void Without_Access_Control_Request_Headers_Allow_Headers_is_omitted_and_max_age_defaults_to_5()
    {
        var h = CorsPreflight.Preflight(Listed with { MaxAge = new CorsPolicy().MaxAge }, "https://www.foo.com", "GET", null);
        Assert.Null(Get(h, CorsPreflight.AllowHeaders));
        Assert.Equal("5", Get(h, CorsPreflight.MaxAge));
    }

    [Fact]
    public void An_actual_cross_origin_response_gets_origin_credentials_and_expose_headers()
    {
        var h = CorsPreflight.ForResponse(Listed with { AllowCredentials = true }, "https://a.bar.com");
        Assert.Equal("https://a.bar.com", Get(h, CorsPreflight.AllowOrigin));
        Assert.Equal("true", Get(h, CorsPreflight.AllowCredentials));
        Assert.Equal("x-expose", Get(h, CorsPreflight.ExposeHeaders));
        Assert.Empty(CorsPreflight.ForResponse(Listed, null)); // same-origin: nothing added
    }
}
