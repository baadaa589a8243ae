using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery;
using Weft.Discovery.Internal;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests;

/// <summary>
/// Issue 15, "subscription lifetime": what the app addresses cannot make a sidecar or the control plane hold subscriptions
/// without bound. A real control plane on loopback and a real discovery client; the client's clock is fake where a
/// lifetime is checked.
/// </summary>
public sealed class SubscriptionLifetimeTests : IAsyncLifetime
{
    private const string ClientNamespace = "gateway-conformance-mesh";
    private const string ClientPod = "gateway-conformance-mesh/client-0";
    private const string Echo = "echo.gateway-conformance-mesh";
    private const int Limit = 100;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _dir = new();
    private ControlPlaneHost? _host;

    private ControlPlaneHost Host => _host!;

    public async Task InitializeAsync()
    {
        _dir.Write("mesh.yaml", SharedFiles.MeshManifests);
        _dir.Write("client-pod.yaml", TestCallers.PodYaml(ClientNamespace, "client-0"));
        _dir.Write("flooder-pod.yaml", TestCallers.PodYaml(ClientNamespace, "flooder"));

        // The control plane's per-pod limit is twice the sidecar's, as by default: streams a sidecar has just closed may
        // still be ending here while it opens new ones.
        _host = await ControlPlaneHost.StartAsync(new ControlPlaneOptions { ManifestDirectory = _dir.Path, MaxStreamsPerPod = 2 * Limit }, CancellationToken.None);
        await TestCallers.WaitForPodAsync(_host, ClientNamespace, "client-0");
        await TestCallers.WaitForPodAsync(_host, ClientNamespace, "flooder");
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _dir.Dispose();
    }

    private DiscoveryClient NewClient(TimeProvider? time = null, int limit = Limit, int notFoundLimit = 500) =>
        new(Host.Address, ClientNamespace, ClientPod, NullLogger.Instance, time, TestCallers.Roots(Host), TestCallers.PodToken(Host, ClientNamespace, "client-0"))
        {
            MaxSubscriptions = limit,
            NotFoundLimit = notFoundLimit,
            NotFoundTtl = TimeSpan.FromSeconds(30),
            IdleTimeout = TimeSpan.FromMinutes(1),
        };

    private int ControlPlaneStreams() => Host.Subscriptions().Count(s => s.ClientPod == ClientPod);

    [Fact]
    public async Task Three_thousand_unknown_hosts_leave_at_most_the_limit_of_subscriptions_on_both_sides_and_a_bounded_not_found_cache_that_expires()
    {
        var clock = FakeClock.AtNow();
        await using var client = NewClient(clock);
        var peakControlPlane = 0;
        var peakClient = 0;
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                peakControlPlane = Math.Max(peakControlPlane, ControlPlaneStreams());
                await Task.Delay(1);
            }
        });

        // Waves of 150 at once against a limit of 100: every wave meets the limit, and what exceeds it is refused.
        var answered = 0;
        var refused = 0;
        string? lastAnswered = null;
        using var stuck = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a hang fails the test, not the run
        for (var wave = 0; wave < 20; wave++)
        {
            var calls = new List<(string Host, Task<DestinationEntry?> Call)>();
            for (var i = 0; i < 150; i++)
            {
                var host = $"unknown-{wave}-{i}.example";
                calls.Add((host, client.GetAsync(host, 80, stuck.Token).AsTask()));
                peakClient = Math.Max(peakClient, client.Counts.Open);
            }

            // A wave's places are free again once its answers are in and its streams closed (after the ACK).
            await Eventually.TrueAsync(() => calls.TrueForAll(c => c.Call.IsCompleted) && client.Counts.Open == 0, "the wave's streams close", Deadline);
            foreach (var (host, call) in calls)
            {
                try
                {
                    var entry = await call;
                    Assert.False(entry!.Found);
                    answered++;
                    lastAnswered = host;
                }
                catch (SubscriptionLimitException)
                {
                    refused++;
                }
            }
        }

        // Each wave meets the limit; a place freed while a wave is still being sent is taken again.
        Assert.Equal(3000, answered + refused);
        Assert.InRange(answered, 20 * Limit, 3000 - 20);
        Assert.InRange(refused, 20, 20 * 50);

        // Unknown destinations are not watched: every stream closes, on both sides.
        await Eventually.TrueAsync(() => client.Counts.Open == 0, "the client holds no subscription", Deadline);
        await Eventually.TrueAsync(() => ControlPlaneStreams() == 0, "the control plane holds no stream", Deadline);

        // Nor a compiled policy for any of them: the model answered each and kept nothing (it could live for hours).
        Assert.Equal(0, Host.CurrentModel.CompiledCount);
        await stopSampling.CancelAsync();
        await sampler;
        Assert.InRange(peakClient, 1, Limit);
        Assert.InRange(peakControlPlane, 0, 2 * Limit);

        var counts = client.Counts;
        Assert.Equal(500, counts.NotFoundCached);
        Assert.Equal(answered - 500, counts.NotFoundEvicted);
        Assert.Equal(refused, counts.Refused);

        // A recent answer (of the last wave, within the newest 500) is remembered: no stream, no wait.
        var remembered = client.GetAsync(lastAnswered!, 80, CancellationToken.None);
        Assert.True(remembered.IsCompletedSuccessfully);
        Assert.False((await remembered)!.Found);
        Assert.Equal(0, client.Counts.Open);

        // Past the TTL every entry is gone, and the next use asks the control plane again.
        clock.Advance(TimeSpan.FromSeconds(40));
        await Eventually.TrueAsync(() => client.Counts.NotFoundCached == 0, "the not-found entries expire", Deadline);
        var again = await client.GetAsync("unknown-0-0.example", 80, CancellationToken.None);
        Assert.False(again!.Found);
        await Eventually.TrueAsync(() => client.Counts.NotFoundCached == 1, "the new answer is remembered", Deadline);
    }

    [Fact]
    public async Task A_known_destination_keeps_working_when_unknown_ones_meet_the_subscription_limit()
    {
        await using var client = NewClient(limit: 5);
        var known = await client.GetAsync(Echo, 80, CancellationToken.None);
        Assert.True(known!.Found);

        // Called one after another without waiting: the first four take the free places before any answer can come back.
        var calls = new List<Task<DestinationEntry?>>();
        for (var i = 0; i < 100; i++)
        {
            calls.Add(client.GetAsync($"unknown-{i}.example", 80, CancellationToken.None).AsTask());
            var read = client.GetAsync(Echo, 80, CancellationToken.None);
            Assert.True(read.IsCompletedSuccessfully);
            Assert.Same(known, await read);
        }

        var refused = 0;
        foreach (var call in calls)
        {
            try
            {
                await call;
            }
            catch (SubscriptionLimitException e)
            {
                Assert.Contains("limit of 5 discovery subscriptions", e.Message, StringComparison.Ordinal);
                refused++;
            }
        }

        Assert.True(refused >= 1, "the limit was met");
        Assert.Equal(refused, client.Counts.Refused);
        Assert.Same(known, await client.GetAsync(Echo, 80, CancellationToken.None));
        await Eventually.TrueAsync(() => client.Counts.Open == 1, "only the known destination stays subscribed", Deadline);
        await Eventually.TrueAsync(() => Host.Subscriptions().Select(s => s.Host).SequenceEqual([Echo]), "the control plane keeps its stream only", Deadline);

        // Once the unknown ones are answered, their places are free again.
        Assert.False((await client.GetAsync("late.example", 80, CancellationToken.None))!.Found);
    }

    [Fact]
    public async Task An_idle_subscription_is_closed_and_reopened_on_the_next_request()
    {
        var clock = FakeClock.AtNow();
        await using var client = NewClient(clock);
        var first = await client.GetAsync(Echo, 80, CancellationToken.None);
        Assert.True(first!.Found);
        Assert.Equal(1, client.Counts.Open);
        await Eventually.TrueAsync(() => ControlPlaneStreams() == 1, "the control plane has the stream", Deadline);

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, client.Counts.Open); // not idle long enough

        // The sweep runs every quarter of the shorter of the idle timeout and the not-found TTL (7.5 s here).
        clock.Advance(TimeSpan.FromSeconds(10));

        await Eventually.TrueAsync(() => client.Counts.Open == 0, "the idle subscription is closed", Deadline);
        Assert.Equal(1, client.Counts.IdleClosed);
        await Eventually.TrueAsync(() => ControlPlaneStreams() == 0, "its stream ends at the control plane", Deadline);

        var again = await client.GetAsync(Echo, 80, CancellationToken.None);
        Assert.True(again!.Found);
        Assert.NotSame(first, again);
        Assert.Equal(1, client.Counts.Open);
        await Eventually.TrueAsync(() => ControlPlaneStreams() == 1, "a new stream", Deadline);
    }

    [Fact]
    public async Task The_control_plane_refuses_a_pod_more_streams_than_its_limit_with_ResourceExhausted_and_forgets_ended_streams()
    {
        const string Flooder = "gateway-conformance-mesh/flooder";
        using var channel = TestCallers.Channel(Host, TestCallers.PodToken(Host, ClientNamespace, "flooder"));
        var grpc = new Weft.Discovery.V1.Discovery.DiscoveryClient(channel);
        using var cancel = new CancellationTokenSource();
        var calls = new List<AsyncServerStreamingCall<DestinationUpdate>>();
        try
        {
            var opened = 0;
            var exhausted = 0;
            for (var i = 0; i < (2 * Limit) + 30; i++)
            {
                var call = grpc.WatchDestination(new DestinationRequest { ClientNamespace = ClientNamespace, ClientPod = Flooder, Host = $"unknown-{i}.example", Port = 80 }, cancellationToken: cancel.Token);
                calls.Add(call);
                try
                {
                    Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                    opened++;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    exhausted++;
                }
            }

            Assert.Equal(2 * Limit, opened);
            Assert.Equal(30, exhausted);
            Assert.Equal(2 * Limit, Host.Subscriptions().Count(s => s.ClientPod == Flooder));

            // Another pod is not affected.
            await using var other = NewClient();
            Assert.True((await other.GetAsync(Echo, 80, CancellationToken.None))!.Found);
        }
        finally
        {
            await cancel.CancelAsync();
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }

        await Eventually.TrueAsync(() => Host.Subscriptions().Count == 0, "every ended stream leaves the registry", Deadline);

        // And the pod's places are free again.
        using var after = grpc.WatchDestination(new DestinationRequest { ClientNamespace = ClientNamespace, ClientPod = Flooder, Host = Echo, Port = 80 });
        Assert.True(await after.ResponseStream.MoveNext(CancellationToken.None));
    }
}
