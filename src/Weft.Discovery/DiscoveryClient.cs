using System.Collections.Concurrent;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Weft.Discovery.Internal;
using Weft.Discovery.V1;
using Weft.Routing.Authorization;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Discovery;

/// <summary>
/// The proxy's side of discovery (DESIGN decision 2): subscribes on demand to the policy of each (host, port) the
/// workload talks to, keeps the last good <see cref="DestinationEntry"/> of each (built into a <see cref="RouteTable"/>),
/// ACKs what it applied and NACKs what it could not build, survives the control plane going away, and drops
/// subscriptions that have not been used for <see cref="IdleTimeout"/>.
/// </summary>
public sealed class DiscoveryClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly V1.Discovery.DiscoveryClient _grpc;
    private readonly string _clientNamespace;
    private readonly string _clientPod;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<DestinationKey, DestinationSubscription> _subscriptions = new(DestinationKey.Comparer);
    private readonly Lock _gate = new();
    private ITimer? _idleSweep;
    private InboundWatch? _inbound;
    private bool _disposed;

    /// <param name="controlPlane">The discovery server, <c>http://127.0.0.1:PORT</c> (HTTP/2 cleartext) or an <c>https</c> one.</param>
    /// <param name="clientNamespace">The namespace of the workload this proxy serves.</param>
    /// <param name="clientPod">The pod, "namespace/name".</param>
    /// <param name="logger">Where the client and its subscriptions log.</param>
    /// <param name="time">The clock of the subscriptions and of the idle sweep; null: the system's.</param>
    /// <param name="controlPlaneRoots">The roots an <c>https</c> control plane's certificate must chain to; null: the system's.</param>
    /// <param name="credentials">What every call proves the pod with (its token, and its workload certificate once it has one).</param>
    public DiscoveryClient(Uri controlPlane, string clientNamespace, string clientPod, ILogger logger, TimeProvider? time = null, System.Security.Cryptography.X509Certificates.X509Certificate2Collection? controlPlaneRoots = null, DiscoveryCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(controlPlane);
        _channel = DiscoveryChannel.Create(controlPlane, controlPlaneRoots, credentials, time);
        _grpc = new V1.Discovery.DiscoveryClient(_channel);
        _clientNamespace = clientNamespace;
        _clientPod = clientPod;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// The client workload's opt-in level sent with every subscription (DESIGN decision 6): "l7" (default) or "l4"; an l4
    /// client's policies carry no HTTP/gRPC routes.
    /// </summary>
    public string ClientLevel { get; init; } = "";

    /// <summary>
    /// How long the first request for a destination waits for its first policy. Normally milliseconds; the bound is for a
    /// control plane that is away, and is generous because a node starting many pods at once (each sidecar's first gRPC
    /// connection, cold) has taken more than 5 s.
    /// </summary>
    public TimeSpan FirstUpdateTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A subscription not used for this long is dropped (and re-made on next use).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The first resubscribe delay after the stream fails; it doubles up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Builds the table from a received policy; a test seam for the NACK path.</summary>
    internal Func<DestinationPolicy, RouteTable> TableBuilder { get; init; } = RouteTable.Build;

    /// <summary>
    /// The current entry for (host, port). The first call for a destination subscribes and waits (up to
    /// <see cref="FirstUpdateTimeout"/>) for the first update; later calls return the current entry without I/O.
    /// Null means no policy is known yet (the control plane has not answered); an entry whose
    /// <see cref="DestinationEntry.Table"/> is null means the control plane said NOT_FOUND.
    /// </summary>
    public ValueTask<DestinationEntry?> GetAsync(string host, int port, CancellationToken ct)
    {
        var key = new DestinationKey(host, port);
        if (_subscriptions.TryGetValue(key, out var subscription) && subscription.Entry is { } entry)
        {
            subscription.Touch();
            return new ValueTask<DestinationEntry?>(entry);
        }

        subscription ??= Subscribe(key);
        subscription.Touch();
        return subscription.WaitForFirstAsync(ct);
    }

    /// <summary>Builds the authorization table from a received inbound policy; a test seam for the NACK path.</summary>
    internal Func<InboundPolicy, AuthorizationTable> InboundTableBuilder { get; init; } = AuthorizationTable.Build;

    /// <summary>
    /// Subscribes (once; later calls do nothing) to the inbound policy of this client's own pod (issue 14). The current
    /// entry is <see cref="Inbound"/>: null until the control plane has sent a policy this client could build.
    /// </summary>
    public void WatchInbound()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_inbound is not null)
            {
                return;
            }

            _inbound = new InboundWatch(_grpc, _clientPod, this, _logger, _time);
            _inbound.Start();
        }
    }

    /// <summary>The pod's inbound policy in force (one volatile read): null before <see cref="WatchInbound"/> got a good one.</summary>
    public InboundEntry? Inbound => Volatile.Read(ref _inbound)?.Entry;

    /// <summary>The inbound subscription, for the proxy's admin endpoint; null before <see cref="WatchInbound"/>.</summary>
    public InboundState? InboundState => Volatile.Read(ref _inbound)?.State;

    /// <summary>Every subscription and its entry, for the proxy's admin endpoint.</summary>
    public IReadOnlyList<DestinationState> Snapshot() =>
        [.. _subscriptions.Values.Select(s => s.State).OrderBy(s => s.Host, StringComparer.Ordinal).ThenBy(s => s.Port)];

    /// <summary>
    /// Asks a control plane for its status (route statuses, load problems, subscriptions), for <c>weft status</c>, with
    /// the control plane's admin credential (a sidecar's is refused).
    /// </summary>
    public static async Task<StatusReply> GetStatusAsync(Uri controlPlane, CancellationToken ct, System.Security.Cryptography.X509Certificates.X509Certificate2Collection? controlPlaneRoots = null, DiscoveryCredentials? credentials = null)
    {
        using var channel = DiscoveryChannel.Create(controlPlane, controlPlaneRoots, credentials);
        var client = new V1.Discovery.DiscoveryClient(channel);
        return await client.GetStatusAsync(new StatusRequest(), cancellationToken: ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        DestinationSubscription[] subscriptions;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            subscriptions = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }

        if (_inbound is not null)
        {
            await _inbound.DisposeAsync().ConfigureAwait(false);
        }

        if (_idleSweep is not null)
        {
            await _idleSweep.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(subscriptions.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        _channel.Dispose();
    }

    internal RouteTable BuildTable(DestinationPolicy policy) => TableBuilder(policy);

    internal static DestinationPolicy Deserialize(ReadOnlySpan<byte> json) => PolicyJson.Deserialize(json);

    private DestinationSubscription Subscribe(DestinationKey key)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_subscriptions.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var subscription = new DestinationSubscription(
                _grpc,
                new DestinationRequest { ClientNamespace = _clientNamespace, ClientPod = _clientPod, Host = key.Host, Port = key.Port, ClientLevel = ClientLevel },
                this,
                _logger,
                _time);
            _subscriptions[key] = subscription;
            subscription.Start();

            var sweepEvery = TimeSpan.FromTicks(Math.Clamp(IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(30).Ticks));
            _idleSweep ??= _time.CreateTimer(static self => ((DiscoveryClient)self!).SweepIdle(), this, sweepEvery, sweepEvery);
            return subscription;
        }
    }

    private void SweepIdle()
    {
        foreach (var (key, subscription) in _subscriptions)
        {
            // One still waiting for its first answer is in use (a caller awaits it), however long the control plane takes.
            if (subscription.Entry is not null && subscription.IdleFor > IdleTimeout && _subscriptions.TryRemove(new KeyValuePair<DestinationKey, DestinationSubscription>(key, subscription)))
            {
                Log.DroppingIdle(_logger, key.Host, key.Port);
                _ = subscription.DisposeAsync().AsTask();
            }
        }
    }

    private readonly record struct DestinationKey(string Host, int Port)
    {
        public static readonly IEqualityComparer<DestinationKey> Comparer = new IgnoreCase();

        // DNS names are case-insensitive; IP literals are unaffected.
        private sealed class IgnoreCase : IEqualityComparer<DestinationKey>
        {
            public bool Equals(DestinationKey x, DestinationKey y) => x.Port == y.Port && string.Equals(x.Host, y.Host, StringComparison.OrdinalIgnoreCase);

            public int GetHashCode(DestinationKey key) => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(key.Host), key.Port);
        }
    }
}
