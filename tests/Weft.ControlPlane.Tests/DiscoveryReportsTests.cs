using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery;
using Weft.Discovery.V1;
using Weft.Routing;
using Weft.Routing.Policy;

namespace Weft.ControlPlane.Tests;

/// <summary>
/// A sidecar's ACKs and NACKs (issue 18): every report of the sidecar on one Reports stream, not a Report call each; to a
/// control plane without Reports (UNIMPLEMENTED, an older one), Report calls; either way up to the newest. Against a discovery
/// server of the test's own that counts what it receives (h2c on loopback, the client's test-server mode).
/// </summary>
public sealed class DiscoveryReportsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Every_update_is_reported_as_one_message_on_one_Reports_stream()
    {
        var server = new CountingDiscovery(hasReports: true);
        await using var app = await CountingDiscovery.StartAsync(server);
        await using var client = NewClient(app);

        var versions = await PushAsync(server, client, count: 20);

        // Each report as a message, in order; one that waited while an earlier one was written may have been replaced by
        // a newer one of the same stream (only the newest waits), never the last.
        var reports = await Eventually.ValueAsync(() => Task.FromResult(server.OnStream.ToArray()), r => r.Any(x => x.Version == versions[^1]), "the last update reported", Deadline);
        Assert.Equal(versions[^1], reports![^1].Version);
        Assert.Equal(reports.Select(r => r.Version).Order(), reports.Select(r => r.Version));
        Assert.All(reports, r => Assert.True(r.Ack && r is { ClientPod: "a/client-0", Host: "echo.a", Port: 80 }));
        Assert.Equal(1, server.ReportsStreams);
        Assert.Empty(server.Unary);
        Assert.False(client.ReportsUnary);
    }

    [Fact]
    public async Task A_control_plane_without_Reports_gets_Report_calls_up_to_the_last_update()
    {
        var server = new CountingDiscovery(hasReports: false);
        await using var app = await CountingDiscovery.StartAsync(server);
        await using var client = NewClient(app);

        var versions = await PushAsync(server, client, count: 5);

        var reports = await Eventually.ValueAsync(() => Task.FromResult(server.Unary.ToArray()), r => r.Any(x => x.Version == versions[^1]), "the last update reported", Deadline);
        Assert.Equal(versions[^1], reports![^1].Version);
        Assert.True(client.ReportsUnary);
        Assert.Empty(server.OnStream);
    }

    [Fact]
    public async Task While_the_stream_is_refused_the_newest_report_of_each_stream_waits_and_is_sent_once_it_is_accepted()
    {
        var server = new CountingDiscovery(hasReports: true) { Refuse = true };
        await using var app = await CountingDiscovery.StartAsync(server);
        await using var client = NewClient(app);

        var versions = await PushAsync(server, client, count: 4);
        await Eventually.TrueAsync(() => server.Refused >= 2, "the stream refused and tried again", Deadline);
        Assert.Empty(server.OnStream);
        server.Refuse = false;

        // Versions 1-3 were replaced by 4 while they waited: one report, the newest, and no call.
        var reports = await Eventually.ValueAsync(() => Task.FromResult(server.OnStream.ToArray()), r => r.Any(x => x.Version == versions[^1]), "the newest report sent", Deadline);
        Assert.Equal([versions[^1]], reports!.Select(r => r.Version));
        Assert.Empty(server.Unary);
        Assert.Equal(1, server.ReportsStreams);
    }

    /// <summary>Sends <paramref name="count"/> versions of echo.a:80's policy and waits until the client has each.</summary>
    private static async Task<List<ulong>> PushAsync(CountingDiscovery server, DiscoveryClient client, int count)
    {
        var json = PolicyJson.Serialize(new DestinationPolicy
        {
            ClientNamespace = "a",
            ServiceNamespace = "a",
            ServiceName = "echo",
            Port = 80,
            Protocol = "http",
            View = PolicyView.None,
        });
        List<ulong> versions = [];
        for (ulong v = 1; v <= (ulong)count; v++)
        {
            await server.PushAsync(client, v, json, Deadline);
            versions.Add(v);
        }

        return versions;
    }

    private static DiscoveryClient NewClient(WebApplication app) =>
        new(new Uri(app.Urls.Single()), "a", "a/client-0", NullLogger.Instance) { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) };
}
