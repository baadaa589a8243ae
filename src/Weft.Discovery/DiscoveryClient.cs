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
/// <remarks>
/// What it holds is bounded (issue 15), whatever the app addresses: a destination the control plane answers NOT_FOUND
/// for is not watched but remembered for <see cref="NotFoundTtl"/>, in a cache of at most <see cref="NotFoundLimit"/>
/// entries (the oldest goes first); and at most <see cref="MaxSubscriptions"/> streams are open. When they all are, a new
/// destination is refused (<see cref="SubscriptionLimitException"/>) rather than an idle one evicted: an evicted
/// subscription loses its last good policy, which a control plane that is away cannot give back, and an app that cycles
/// through many destinations would evict the ones it really uses. Idle ones are closed by the sweep; refused requests
/// are counted (<see cref="Counts"/>).
/// </remarks>
public sealed class DiscoveryClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly V1.Discovery.DiscoveryClient _grpc;
    private readonly string _clientNamespace;
    private readonly string _clientPod;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<DestinationKey, DestinationSubscription> _subscriptions = new(DestinationKey.Comparer);
    private readonly ConcurrentDictionary<DestinationKey, NotFoundEntry> _notFound = new(DestinationKey.Comparer);

    // The not-found entries in the order they were made, which is their expiry order (one TTL for all): the head is the
    // one to evict when the cache is full and the first to expire. Changed under _gate only.
    private readonly Queue<(DestinationKey Key, NotFoundEntry Entry)> _notFoundOrder = new();
    private readonly Lock _gate = new();
    private long _refused;
    private long _notFoundEvicted;
    private long _idleClosed;
    private readonly LogLimiter _refusalLog;
    private ITimer? _idleSweep;
    private InboundWatch? _inbound;
    private ReportSender? _reports;
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
        _refusalLog = new LogLimiter(TimeSpan.FromMinutes(1), _time);
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

    /// <summary>
    /// The most destination subscriptions (streams) open at once; a new destination beyond it is refused with
    /// <see cref="SubscriptionLimitException"/>. The control plane caps a pod's streams too, above this default.
    /// </summary>
    public int MaxSubscriptions { get; init; } = 1000;

    /// <summary>How long a NOT_FOUND answer is remembered (no stream kept); the next use after it asks again.</summary>
    public TimeSpan NotFoundTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most NOT_FOUND answers remembered; beyond it the oldest is forgotten (and asked again on its next use).</summary>
    public int NotFoundLimit { get; init; } = 1000;

    /// <summary>What the client holds and has refused, for metrics.</summary>
    public SubscriptionCounts Counts => new(
        _subscriptions.Count,
        MaxSubscriptions,
        _notFound.Count,
        Interlocked.Read(ref _refused),
        Interlocked.Read(ref _notFoundEvicted),
        Interlocked.Read(ref _idleClosed));

    /// <summary>Builds the table from a received policy; a test seam for the NACK path.</summary>
    internal Func<DestinationPolicy, RouteTable> TableBuilder { get; init; } = RouteTable.Build;

    /// <summary>
    /// The current entry for (host, port). The first call for a destination subscribes and waits (up to
    /// <see cref="FirstUpdateTimeout"/>) for the first update; later calls return the current entry without I/O.
    /// Null means no policy is known yet (the control plane has not answered); an entry whose
    /// <see cref="DestinationEntry.Table"/> is null means the control plane said NOT_FOUND (remembered for
    /// <see cref="NotFoundTtl"/>).
    /// </summary>
    /// <exception cref="SubscriptionLimitException">The destination is new and <see cref="MaxSubscriptions"/> are open.</exception>
    public ValueTask<DestinationEntry?> GetAsync(string host, int port, CancellationToken ct)
    {
        var key = new DestinationKey(host, port);
        if (_subscriptions.TryGetValue(key, out var subscription) && subscription.Entry is { } entry)
        {
            subscription.Touch();
            return new ValueTask<DestinationEntry?>(entry);
        }

        if (subscription is null && _notFound.TryGetValue(key, out var notFound) && _time.GetTimestamp() < notFound.Expires)
        {
            return new ValueTask<DestinationEntry?>(notFound.Entry);
        }

        subscription ??= Subscribe(key);
        if (subscription is null)
        {
            return ValueTask.FromException<DestinationEntry?>(Refuse(key));
        }

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
    /// the control plane's admin credential (a sidecar's is refused), or in a cluster the operator's own token.
    /// <paramref name="serverName"/>, when given, is the name the control plane's certificate must carry instead of
    /// <paramref name="controlPlane"/>'s host (the controller's Service name, reached through a port-forward).
    /// </summary>
    public static async Task<StatusReply> GetStatusAsync(Uri controlPlane, CancellationToken ct, System.Security.Cryptography.X509Certificates.X509Certificate2Collection? controlPlaneRoots = null, DiscoveryCredentials? credentials = null, string? serverName = null)
    {
        using var channel = DiscoveryChannel.Create(controlPlane, controlPlaneRoots, credentials, serverName: serverName);
        var client = new V1.Discovery.DiscoveryClient(channel);
        return await client.GetStatusAsync(new StatusRequest(), cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Issue 16's tap: the events the control plane relays from the target's sidecars, until <paramref name="ct"/> or the
    /// control plane ends the stream. Needs an admin's credential in <paramref name="credentials"/>; <paramref name="serverName"/>
    /// as for <see cref="GetStatusAsync"/>.
    /// </summary>
    public static async IAsyncEnumerable<TapEvent> TapAsync(Uri controlPlane, TapRequest request,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? controlPlaneRoots, DiscoveryCredentials? credentials,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct, string? serverName = null)
    {
        using var channel = DiscoveryChannel.Create(controlPlane, controlPlaneRoots, credentials, serverName: serverName);
        var client = new V1.Discovery.DiscoveryClient(channel);
        using var call = client.Tap(request, cancellationToken: ct);
        while (await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
        {
            yield return call.ResponseStream.Current;
        }
    }

    /// <summary>
    /// Issue 16's <c>weft stat</c>: every pod's request series over the window, from the control plane (an admin's
    /// credential); <paramref name="serverName"/> as for <see cref="GetStatusAsync"/>.
    /// </summary>
    public static async Task<StatReply> StatAsync(Uri controlPlane, StatRequest request,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? controlPlaneRoots, DiscoveryCredentials? credentials, CancellationToken ct, string? serverName = null)
    {
        using var channel = DiscoveryChannel.Create(controlPlane, controlPlaneRoots, credentials, serverName: serverName);
        var client = new V1.Discovery.DiscoveryClient(channel);
        return await client.StatAsync(request, cancellationToken: ct).ConfigureAwait(false);
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
            _notFound.Clear();
            _notFoundOrder.Clear();
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
        if (_reports is not null)
        {
            await _reports.DisposeAsync().ConfigureAwait(false);
        }

        _channel.Dispose();
    }

    /// <summary>
    /// An ACK or NACK of a version a stream received, queued for the sidecar's one Reports stream (<see cref="ReportSender"/>);
    /// it never waits. Nothing is sent once the client is disposed.
    /// </summary>
    internal void Report(PolicyReport report)
    {
        var reports = Volatile.Read(ref _reports);
        if (reports is null)
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                reports = _reports ??= new ReportSender(_grpc, this, _logger, _time);
            }
        }

        reports.Send(report);
    }

    /// <summary>True once the control plane answered UNIMPLEMENTED to the Reports stream (for tests).</summary>
    internal bool ReportsUnary => Volatile.Read(ref _reports)?.Unary ?? false;

    internal RouteTable BuildTable(DestinationPolicy policy) => TableBuilder(policy);

    internal static DestinationPolicy Deserialize(ReadOnlySpan<byte> json) => PolicyJson.Deserialize(json);

    /// <summary>The outbound policy sent with a NOT_FOUND answer; a control plane that sent none is taken for registry-only (nothing leaves unasked).</summary>
    internal static OutsidePolicy DeserializeOutside(ReadOnlySpan<byte> json) => json.IsEmpty
        ? new OutsidePolicy { Mode = Weft.Routing.OutboundPolicies.RegistryOnly, Source = "the control plane, which sent no outbound policy" }
        : PolicyJson.DeserializeOutside(json);

    /// <summary>The destination's subscription, made now if there is none; null when <see cref="MaxSubscriptions"/> are open.</summary>
    private DestinationSubscription? Subscribe(DestinationKey key)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_subscriptions.TryGetValue(key, out var existing))
            {
                return existing;
            }

            if (_subscriptions.Count >= MaxSubscriptions)
            {
                return null;
            }

            var subscription = new DestinationSubscription(
                _grpc,
                new DestinationRequest { ClientNamespace = _clientNamespace, ClientPod = _clientPod, Host = key.Host, Port = key.Port, ClientLevel = ClientLevel },
                this,
                _logger,
                _time);
            _subscriptions[key] = subscription;
            subscription.Start();

            var sweepEvery = TimeSpan.FromTicks(Math.Clamp(Math.Min(IdleTimeout.Ticks, NotFoundTtl.Ticks) / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(30).Ticks));
            _idleSweep ??= _time.CreateTimer(static self => ((DiscoveryClient)self!).SweepIdle(), this, sweepEvery, sweepEvery);
            return subscription;
        }
    }

    /// <summary>
    /// The subscription's first answer was NOT_FOUND: the answer is remembered for <see cref="NotFoundTtl"/> and the
    /// stream closed, so that destinations outside the mesh hold nothing open on either side.
    /// </summary>
    internal void NotFound(DestinationSubscription subscription, DestinationEntry entry)
    {
        var key = new DestinationKey(subscription.Host, subscription.Port);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // Remembered before the subscription goes, so a caller in between finds one or the other.
            var remembered = new NotFoundEntry(entry, _time.GetTimestamp() + (long)(NotFoundTtl.TotalSeconds * _time.TimestampFrequency));
            _notFound[key] = remembered;
            _notFoundOrder.Enqueue((key, remembered));
            TrimNotFound();
        }

        if (_subscriptions.TryRemove(KeyValuePair.Create(key, subscription)))
        {
            // Not awaited: this runs on the subscription's own stream loop, which the dispose waits for.
            _ = subscription.DisposeAsync().AsTask();
        }
    }

    private SubscriptionLimitException Refuse(DestinationKey key)
    {
        Interlocked.Increment(ref _refused);

        // One line a minute at most: a flood of new destinations must not become a flood of log lines.
        if (_refusalLog.TryTake(out _))
        {
            Log.SubscriptionLimitReached(_logger, MaxSubscriptions, key.Host, key.Port, Interlocked.Read(ref _refused));
        }

        return new SubscriptionLimitException($"the sidecar's limit of {MaxSubscriptions} discovery subscriptions is reached");
    }

    private void SweepIdle()
    {
        foreach (var (key, subscription) in _subscriptions)
        {
            // One still waiting for its first answer is in use while a caller may await it (FirstUpdateTimeout from its
            // start); past that, and idle, nobody waits on it.
            var waitedOn = subscription.Entry is null && subscription.Age <= FirstUpdateTimeout;
            if (!waitedOn && subscription.IdleFor > IdleTimeout && _subscriptions.TryRemove(new KeyValuePair<DestinationKey, DestinationSubscription>(key, subscription)))
            {
                Log.DroppingIdle(_logger, key.Host, key.Port);
                Interlocked.Increment(ref _idleClosed);
                _ = subscription.DisposeAsync().AsTask();
            }
        }

        lock (_gate)
        {
            TrimNotFound();
        }
    }

    /// <summary>
    /// Forgets the remembered NOT_FOUND answers that have expired and, oldest first, those beyond
    /// <see cref="NotFoundLimit"/> (counted as evicted). Under <see cref="_gate"/>.
    /// </summary>
    private void TrimNotFound()
    {
        var now = _time.GetTimestamp();
        while (_notFoundOrder.TryPeek(out var oldest) && (_notFound.Count > NotFoundLimit || oldest.Entry.Expires <= now))
        {
            _notFoundOrder.Dequeue();
            if (_notFound.TryRemove(KeyValuePair.Create(oldest.Key, oldest.Entry)) && oldest.Entry.Expires > now)
            {
                Interlocked.Increment(ref _notFoundEvicted);
            }
        }
    }

    /// <summary>A NOT_FOUND answer and when it expires (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    private sealed record NotFoundEntry(DestinationEntry Entry, long Expires);

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
