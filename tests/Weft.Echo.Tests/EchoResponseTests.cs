namespace Weft.Echo.Tests;

public sealed class EchoResponseTests
{
    [Fact]
    public void Parse_reads_every_field_of_a_server_body()
    {
        var body = EchoResponse.Parse(
            "ServiceVersion=v1\nServicePort=8080\nHost=echo\nURL=/path?q=a=b\nCluster=\nIstioVersion=\nMethod=GET\n" +
            "Proto=HTTP/1.1\nIP=10.0.0.1\nAlpn=\nRequestHeader=X-A:1\nRequestHeader=X-A:2\nRequestHeader=X-Url:http://x\n" +
            "Hostname=echo-v1-7c9d-x2z\n");

        Assert.Equal("v1", body.ServiceVersion);
        Assert.Equal(8080, body.ServicePort);
        Assert.Equal("echo", body.Host);
        Assert.Equal("/path?q=a=b", body.Url);
        Assert.Equal("", body.Cluster);
        Assert.Equal("GET", body.Method);
        Assert.Equal("HTTP/1.1", body.Proto);
        Assert.Equal("10.0.0.1", body.IP);
        Assert.Equal("", body.Alpn);
        Assert.Equal(["1", "2"], body.RequestHeader("x-a"));
        Assert.Equal(["http://x"], body.RequestHeader("X-Url"));
        Assert.Equal("echo-v1-7c9d-x2z", body.Hostname);
        Assert.Null(body.StatusCode);
        Assert.Equal(14, body.Fields.Count);
    }

    [Fact]
    public void Parse_reads_echo_client_output_and_takes_the_first_of_repeated_fields()
    {
        var output = EchoResponse.Parse(
            "[0] Url=http://echo/path\n[0] StatusCode=200\n[0] ResponseHeader=Content-Type:text/plain\n" +
            "[0 body] Host=echo\n[0 body] Hostname=echo-v2-1\n\n" +
            "[1] Url=http://echo/path\r\n[1] StatusCode=503\r\n[1 body] Hostname=echo-v1-1\r\n");

        Assert.Equal(200, output.StatusCode);
        Assert.Equal("echo-v2-1", output.Hostname);
        Assert.Equal(["text/plain"], output.ResponseHeaders["content-type"]);
    }

    [Fact]
    public async Task Parse_round_trips_a_live_response()
    {
        var echo = new EchoServerFixture();
        await echo.InitializeAsync();
        await using var stop = echo.Server;
        var (_, text) = await RawHttp.SendAsync(echo.HttpPort,
            "PUT /round/trip HTTP/1.1\r\nHost: h\r\nX-B: 2\r\nX-A: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        var body = EchoResponse.Parse(text);

        Assert.Equal("PUT", body.Method);
        Assert.Equal("/round/trip", body.Url);
        Assert.Equal("h", body.Host);
        Assert.Equal(echo.HttpPort, body.ServicePort);
        string[] headers = ["Connection", "Content-Length", "X-A", "X-B"];
        Assert.Equal(headers, body.RequestHeaders.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(text, string.Concat(body.Fields.Select(f => $"{f.Key}={f.Value}\n")));
    }
}
