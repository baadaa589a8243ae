using System.Diagnostics;
using System.Net;

namespace Weft.Echo.Tests;

public sealed class HttpEchoTests(EchoServerFixture echo) : IClassFixture<EchoServerFixture>
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });

    [Fact]
    public async Task Body_lists_the_request_in_upstream_field_order_with_sorted_headers_one_line_per_value()
    {
        var (status, body) = await RawHttp.SendAsync(echo.HttpPort,
            "GET /a/../b?q=1%20&x HTTP/1.1\r\n" +
            "Host: echo.example\r\n" +
            "x-multi: first\r\n" +
            "User-Agent: raw\r\n" +
            "X-Multi: second\r\n" +
            "x-header-set: a:b\r\n" +
            "Connection: close\r\n" +
            "\r\n");

        Assert.Equal(200, status);
        string[] expected =
        [
            "ServiceVersion=v1",
            $"ServicePort={echo.HttpPort}",
            "Host=echo.example",
            "URL=/a/../b?q=1%20&x",
            "Cluster=",
            "IstioVersion=",
            "Method=GET",
            "Proto=HTTP/1.1",
            "IP=127.0.0.1",
            "Alpn=",
            "RequestHeader=Connection:close",
            "RequestHeader=User-Agent:raw",
            "RequestHeader=X-Header-Set:a:b",
            "RequestHeader=X-Multi:first",
            "RequestHeader=X-Multi:second",
            $"Hostname={EchoServerFixture.Hostname}",
        ];
        Assert.Equal(expected, body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Http1_and_h2c_prior_knowledge_are_served_on_the_same_port()
    {
        using var http1 = new HttpRequestMessage(HttpMethod.Get, echo.HttpUri("/one"))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var h2c = new HttpRequestMessage(HttpMethod.Post, echo.HttpUri("/two?k=v"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("payload"),
        };
        h2c.Headers.Add("x-h2-header", "yes");

        using var response1 = await Client.SendAsync(http1);
        using var response2 = await Client.SendAsync(h2c);

        Assert.Equal(HttpVersion.Version11, response1.Version);
        Assert.Equal(HttpVersion.Version20, response2.Version);
        var body1 = EchoResponse.Parse(await response1.Content.ReadAsStringAsync());
        var body2 = EchoResponse.Parse(await response2.Content.ReadAsStringAsync());
        Assert.Equal("HTTP/1.1", body1.Proto);
        Assert.Equal("/one", body1.Url);
        Assert.Equal("HTTP/2.0", body2.Proto);
        Assert.Equal("POST", body2.Method);
        Assert.Equal("/two?k=v", body2.Url);
        Assert.Equal($"127.0.0.1:{echo.HttpPort}", body2.Host);
        Assert.Equal(["yes"], body2.RequestHeader("X-H2-Header"));
        Assert.Contains(body2.Fields, f => f.Value == "X-H2-Header:yes");
        Assert.Equal("", body2.Alpn);
        Assert.Equal(echo.HttpPort, body2.ServicePort);
    }

    [Fact]
    public async Task Several_h2c_requests_share_one_connection()
    {
        var tasks = Enumerable.Range(0, 20).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, echo.HttpUri($"/n/{i}"))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await Client.SendAsync(request);
            return EchoResponse.Parse(await response.Content.ReadAsStringAsync()).Url;
        });

        var urls = await Task.WhenAll(tasks);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"/n/{i}"), urls);
    }

    [Fact]
    public async Task Delay_holds_the_response_for_at_least_the_given_duration()
    {
        var watch = Stopwatch.StartNew();
        using var response = await Client.GetAsync(echo.HttpUri("/?delay=300ms"));
        watch.Stop();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task A_bad_delay_is_a_bad_request()
    {
        using var response = await Client.GetAsync(echo.HttpUri("/?delay=soon"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("503", 503)]
    [InlineData("418:1", 418)]
    [InlineData("500:0,201:5", 201)]
    public async Task Codes_with_one_possible_choice_always_answer_it(string codes, int expected)
    {
        for (var i = 0; i < 5; i++)
        {
            using var response = await Client.GetAsync(echo.HttpUri($"/?codes={codes}"));
            Assert.Equal(expected, (int)response.StatusCode);
            Assert.Equal(EchoServerFixture.Hostname, EchoResponse.Parse(await response.Content.ReadAsStringAsync()).Hostname);
        }
    }

    [Fact]
    public async Task Codes_are_picked_in_proportion_to_their_weights()
    {
        var counts = new Dictionary<int, int> { [500] = 0, [200] = 0 };
        for (var i = 0; i < 400; i++)
        {
            using var response = await Client.GetAsync(echo.HttpUri("/?codes=500:1,200:3"));
            counts[(int)response.StatusCode]++;
        }

        // Expect 100 of 400; the bounds are > 6 standard deviations wide.
        Assert.InRange(counts[500], 50, 150);
        Assert.Equal(400, counts[500] + counts[200]);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("99")]
    [InlineData("600")]
    [InlineData("200:x")]
    [InlineData("200:1:2")]
    public async Task Invalid_codes_are_a_bad_request(string codes)
    {
        using var response = await Client.GetAsync(echo.HttpUri($"/?codes={codes}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Headers_knob_adds_response_headers_repeating_names()
    {
        using var response = await Client.GetAsync(echo.HttpUri("/?headers=X-Added:one,X-Added:two,x-other:v&unknown=ignored"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["one", "two"], response.Headers.GetValues("X-Added"));
        Assert.Equal(["v"], response.Headers.GetValues("X-Other"));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Headers_knob_without_a_value_is_a_bad_request()
    {
        using var response = await Client.GetAsync(echo.HttpUri("/?headers=novalue"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task No_content_codes_have_no_body()
    {
        using var response = await Client.GetAsync(echo.HttpUri("/?codes=204"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }
}
