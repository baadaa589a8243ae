using System.Globalization;
using System.Text;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// Requests the fast path does not take (chunked, HTTP/1.0, oversized or odd heads, a missing or refused
/// <c>weft-dst-port</c>) go to Kestrel and the regular InboundHandler with nothing of them read, and get the regular
/// answer; the connection then stays with Kestrel.
/// </summary>
public sealed class Http1RelayHandOffTests
{
    [Fact]
    public async Task A_chunked_request_goes_the_regular_path_and_reaches_the_app()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("got " + Encoding.Latin1.GetString(r.Body)));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST /up HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.True(response.Has("Date")); // answered by Kestrel (the regular path), which dates its responses
        Assert.Equal("got hello world", response.BodyText);
        Assert.Equal("/up", Assert.Single(app.Received).Target);
    }

    [Fact]
    public async Task An_HTTP_1_0_request_goes_the_regular_path_and_reaches_the_app()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("saw " + r.RequestLine));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"GET /old HTTP/1.0\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.StartsWith("saw GET /old HTTP/1.1", response.BodyText, StringComparison.Ordinal);
        Assert.True(await client.ClosedByProxyAsync()); // HTTP/1.0 without keep-alive: one request per connection
    }

    [Fact]
    public async Task A_connection_moves_to_the_regular_path_at_its_first_unusual_request_and_stays_there()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok($"{r.Target} {Encoding.Latin1.GetString(r.Body)}"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/fast"));
        var fast = await client.ReadResponseAsync();
        await client.SendAsync($"POST /chunked HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        var chunked = await client.ReadResponseAsync();
        await client.SendAsync(Sidecar.Get(app.Port, "/after"));
        var after = await client.ReadResponseAsync();

        Assert.Equal("/fast ", fast.BodyText);
        Assert.False(fast.Has("Date"));
        Assert.Equal("/chunked abc", chunked.BodyText);
        Assert.True(chunked.Has("Date"));
        Assert.Equal("/after ", after.BodyText);
        Assert.True(after.Has("Date"));
    }

    [Fact]
    public async Task A_request_head_over_16_KiB_goes_the_regular_path_and_reaches_the_app()
    {
        var big = new string('h', 20_000);
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok(r.Header("X-Big") == big ? "intact" : "damaged"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync(Sidecar.Get(app.Port, "/", $"X-Big: {big}\r\n"));
        var response = await client.ReadResponseAsync();

        Assert.True(response.Has("Date"));
        Assert.Equal("intact", response.BodyText);
    }

    [Fact]
    public async Task A_request_with_Expect_100_continue_goes_the_regular_path()
    {
        await using var app = ScriptedApp.Start(r => ScriptedReply.Ok("got " + Encoding.Latin1.GetString(r.Body)));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"POST / HTTP/1.1\r\nHost: app\r\nweft-dst-port: {app.PortText}\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\ndata");
        var response = await client.ReadResponseAsync();
        if (response.Status == 100)
        {
            response = await client.ReadResponseAsync();
        }

        Assert.Equal(200, response.Status);
        Assert.Equal("got data", response.BodyText);
    }

    [Theory]
    [InlineData("")]
    [InlineData("weft-dst-port: 0\r\n")]
    [InlineData("weft-dst-port: x\r\n")]
    [InlineData("weft-dst-port: {inbound}\r\n")]
    [InlineData("weft-dst-port: {admin}\r\n")]
    [InlineData("weft-dst-port: {outbound}\r\n")]
    public async Task A_missing_invalid_or_proxy_own_weft_dst_port_gets_the_regular_400(string line)
    {
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);
        line = line
            .Replace("{inbound}", sidecar.Proxy.InboundEndpoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{admin}", sidecar.Proxy.AdminEndpoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{outbound}", sidecar.Proxy.OutboundEndpoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        await client.SendAsync($"GET / HTTP/1.1\r\nHost: app\r\n{line}\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task A_malformed_request_gets_the_regular_400()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("reached"));
        await using var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);

        await client.SendAsync($"GET / HTTP/1.1\r\nHost: app\r\nHost: other\r\nweft-dst-port: {app.PortText}\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Empty(app.Received);
    }

    [Fact]
    public async Task A_request_with_LF_line_ends_gets_the_same_answer_as_without_the_fast_path()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("reached"));
        var request = $"GET / HTTP/1.1\nHost: app\nweft-dst-port: {app.PortText}\n\n";
        await using var regular = await Sidecar.StartAsync(fastPath: false);
        await using var fast = await Sidecar.StartAsync(fastPath: true);
        await using var regularClient = await RawConnection.OpenAsync(regular.Inbound);
        await using var fastClient = await RawConnection.OpenAsync(fast.Inbound);

        await regularClient.SendAsync(request);
        var expected = await regularClient.ReadResponseAsync();
        await fastClient.SendAsync(request);
        var actual = await fastClient.ReadResponseAsync(); // within the deadline, not after the 130 s keep-alive timeout

        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.BodyText, actual.BodyText);
    }
}
