namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// The fast path forwards heads byte for byte, but for the hop-by-hop lines (RFC 9110 7.6.1) and the mesh's own
/// <c>weft-dst-port</c>: the app never sees those of the client, the client never sees those of the app.
/// </summary>
public sealed class Http1RelayHeaderTests
{
    [Fact]
    public async Task The_app_sees_the_request_as_sent_without_weft_dst_port_or_Connection()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"GET /a/b?c=1&d=%20 HTTP/1.1\r\nHost: echo.default:8080\r\nweft-dst-port: {app.PortText}\r\nX-Case: MiXeD  \r\nConnection: keep-alive\r\nAccept: */*\r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n");
        await client.ReadResponseAsync();

        var seen = Assert.Single(app.Received);
        Assert.Equal("GET /a/b?c=1&d=%20 HTTP/1.1\r\nHost: echo.default:8080\r\nX-Case: MiXeD  \r\nAccept: */*\r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n", seen.Head);
    }

    [Fact]
    public async Task The_client_sees_the_response_as_sent_without_Keep_Alive_or_Connection()
    {
        await using var app = ScriptedApp.Start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5, max=1000\r\nConnection: keep-alive\r\nX-App: Value \r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-App: Value \r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n", response.Head);
        Assert.Equal("ok", response.BodyText);
    }

    [Fact]
    public async Task An_HTTP_1_0_response_is_passed_on_as_HTTP_1_1()
    {
        await using var app = ScriptedApp.Start("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port));
        var next = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", response.Head);
        Assert.Equal("ok", next.BodyText);
        Assert.Equal(1, app.Accepted);
    }

    [Fact]
    public async Task Transfer_encoding_beside_content_length_is_passed_on_without_the_content_length()
    {
        await using var app = ScriptedApp.Start("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port));
        var next = await client.ReadResponseAsync();

        Assert.Equal("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", response.Head);
        Assert.Equal("ok", response.BodyText);
        Assert.Equal("ok", next.BodyText);
        Assert.Equal(2, app.Accepted); // RFC 9112 6.3: the app connection is closed after such a response
    }

    [Fact]
    public async Task Response_headers_named_in_Connection_are_not_passed_on()
    {
        await using var app = ScriptedApp.Start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: x-hop\r\nX-Hop: 1\r\nX-App: 1\r\n\r\nok");
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port));
        var response = await client.ReadResponseAsync();

        Assert.Equal("1", response.Header("X-App"));
        Assert.False(response.Has("X-Hop"));
    }
}
