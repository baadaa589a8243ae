using Microsoft.Extensions.Logging;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A running sidecar gives memory back once its outbound and inbound listeners have been quiet for an interval after
/// serving something (<see cref="IdleTrim"/>); its admin port, which probes and scrapers keep busy, is not activity.
/// </summary>
public sealed class IdleTrimSidecarTests
{
    private const string GaveBack = "Idle: gave memory back";

    [Fact]
    public async Task Proxied_requests_are_followed_by_a_give_back_once_quiet_and_admin_requests_are_not()
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync(options => options with
        {
            IdleTrimInterval = TimeSpan.FromMilliseconds(200),
            IdleTrimGrowth = long.MaxValue, // only connections and requests make it give back here
            ConfigureLogging = logging =>
            {
                options.ConfigureLogging!(logging);
                logging.SetMinimumLevel(LogLevel.Debug);
            },
        });
        int GiveBacks() => sidecar.Logs.Lines.Count(l => l.Contains(GaveBack, StringComparison.Ordinal));

        await using (var client = await RawConnection.OpenAsync(sidecar.Inbound))
        {
            await client.SendAsync(Sidecar.Get(app.Port));
            Assert.Equal("ok", (await client.ReadResponseAsync()).BodyText);
        }

        await Eventually.TrueAsync(() => GiveBacks() == 1, "a give-back after the request, once quiet");
        Assert.Matches(@"resident \d+ -> \d+ KB", sidecar.Logs.Lines.First(l => l.Contains(GaveBack, StringComparison.Ordinal)));

        // Five intervals of admin requests, as a kubelet and a scraper would send: no activity, so nothing to give back.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        while (DateTime.UtcNow < until)
        {
            await sidecar.MetricsAsync();
            Assert.Equal(1, await sidecar.InboundStatAsync("2xx"));
            await Task.Delay(20); // spaces the requests over the intervals; nothing waits on it
        }

        Assert.Equal(1, GiveBacks());

        await using (var client = await RawConnection.OpenAsync(sidecar.Inbound))
        {
            await client.SendAsync(Sidecar.Get(app.Port));
            await client.ReadResponseAsync();
        }

        await Eventually.TrueAsync(() => GiveBacks() == 2, "a second give-back after the second request");
    }
}
