using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Http1;

public sealed class Http1RelayShutdownTests
{
    [Fact]
    public async Task A_graceful_stop_lets_the_exchange_in_flight_finish_and_then_closes_the_connection()
    {
        var release = new TaskCompletionSource();
        await using var app = ScriptedApp.Start(_ => ScriptedReply.InParts(false, "HTTP/1.1 200 OK\r\n", "Content-Length: 4\r\n\r\ndone") with { HoldLastPart = release.Task });
        var sidecar = await Sidecar.StartAsync();
        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);
        await client.SendAsync(Sidecar.Get(app.Port));
        await Eventually.TrueAsync(() => app.HeadsRead == 1, "the app has the request");

        var stopping = sidecar.DisposeAsync().AsTask();
        release.SetResult();
        var response = await client.ReadResponseAsync(within: TimeSpan.FromSeconds(10));
        await stopping;

        Assert.Equal(200, response.Status);
        Assert.Equal("done", response.BodyText);
        Assert.True(await client.ClosedByProxyAsync());
    }
}
