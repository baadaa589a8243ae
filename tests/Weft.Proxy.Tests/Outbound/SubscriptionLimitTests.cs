using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weft.Proxy.Tests.Http1;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Outbound;

/// <summary>Issue 15: a sidecar subscribes to a bounded number of destinations, and says so in its metrics.</summary>
public sealed class SubscriptionLimitTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_new_destination_beyond_the_subscription_limit_gets_503_with_the_reason_and_is_counted(bool fastPath)
    {
        await using var server = await Sidecar.StartAsync(options => options with
        {
            Destinations = null,
            ControlPlane = new Uri($"http://127.0.0.1:{Ports.Closed().ToString(CultureInfo.InvariantCulture)}"), // nobody answers
            MaxDiscoverySubscriptions = 1,
            Http1FastPath = fastPath,
        });

        // The first destination takes the one place and waits for a control plane that does not answer.
        await using var waiting = await RawConnection.OpenAsync(server.Outbound);
        await waiting.SendAsync("GET http://first.example/ HTTP/1.1\r\nHost: first.example\r\n\r\n");
        await Eventually.TrueAsync(
            () => server.MetricsAsync().Result.Contains("\nweft_discovery_subscriptions 1\n", StringComparison.Ordinal), "the first destination is subscribed");

        await using var refused = await RawConnection.OpenAsync(server.Outbound);
        await refused.SendAsync("GET http://second.example/ HTTP/1.1\r\nHost: second.example\r\n\r\n");
        var response = await refused.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.Contains("limit of 1 discovery subscriptions", response.BodyText, StringComparison.Ordinal);
        var metrics = await server.MetricsAsync();
        Assert.Contains("\nweft_discovery_subscriptions 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("\nweft_discovery_subscriptions_limit 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE weft_discovery_subscriptions_refused_total counter\nweft_discovery_subscriptions_refused_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("\nweft_discovery_not_found_entries 0\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs.Lines, l => l.Contains("No policy for second.example", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task A_destination_refused_for_the_subscription_limit_costs_one_lookup_per_request(bool fastPath, bool tunnel)
    {
        var destinations = new RefusingDestinations();
        await using var server = await Sidecar.StartAsync(options => options with { Destinations = destinations, Http1FastPath = fastPath });
        await using var client = await RawConnection.OpenAsync(server.Outbound);
        if (tunnel)
        {
            // The request in the same write as CONNECT: the L4 path's protocol detection has it at once, however slow the machine.
            await client.SendAsync(OutboundProxy.Connect("refused.example:80") + "GET / HTTP/1.1\r\nHost: refused.example\r\n\r\n");
            Assert.Equal(200, (await OutboundProxy.ReadEstablishedAsync(client)).Status);
        }
        else
        {
            await client.SendAsync("GET http://refused.example/ HTTP/1.1\r\nHost: refused.example\r\n\r\n");
        }

        var response = await client.ReadResponseAsync();

        Assert.Equal(503, response.Status);
        Assert.Contains("limit of 1 discovery subscriptions", response.BodyText, StringComparison.Ordinal);
        Assert.Equal(1, destinations.Lookups);
    }

    /// <summary>A destination source whose every look-up is refused for the subscription limit, counting the look-ups.</summary>
    private sealed class RefusingDestinations : Weft.Proxy.Discovery.IDestinationSource
    {
        private int _lookups;

        public int Lookups => Volatile.Read(ref _lookups);

        public ValueTask<Weft.Routing.Matching.RouteTable?> GetAsync(string host, int port, CancellationToken ct)
        {
            Interlocked.Increment(ref _lookups);
            return ValueTask.FromException<Weft.Routing.Matching.RouteTable?>(new Weft.Discovery.SubscriptionLimitException("the sidecar's limit of 1 discovery subscriptions is reached"));
        }

        public ValueTask<Weft.Routing.Policy.OutsidePolicy> OutsideAsync(string host, int port, CancellationToken ct) =>
            throw new InvalidOperationException("a refused look-up has no outbound policy");

        public IReadOnlyList<Weft.Proxy.Discovery.DestinationSnapshot> Snapshot() => [];
    }
}
