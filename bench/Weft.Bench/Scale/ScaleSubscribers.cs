using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Weft.Discovery;
using Weft.Discovery.Internal;
using Weft.Discovery.V1;

namespace Weft.Bench.Scale;

/// <summary>
/// Subscribed proxies of the scale benchmark, those of one of its subscribers' processes (<see cref="SubscriberProcesses"/>):
/// each proxy is one HTTP/2 connection over TLS to the control plane (as a sidecar's discovery channel is), authenticated
/// with its pod's workload token, holding its WatchInbound stream and one WatchDestination stream per destination it
/// talks to, and acknowledging each update on its Reports stream as a sidecar does once it has applied one (without
/// parsing it: that is each sidecar's own work, on its own node). Each stream keeps the
/// last policy it received; a <see cref="Change"/> says which streams hold the old marker, and completes when every one
/// of them has received a policy with the new one.
/// </summary>
internal sealed class ScaleSubscribers(int totalStreams) : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<Task> _reads = [];
    private readonly ByteString[] _latest = new ByteString[totalStreams];
    private readonly CancellationTokenSource _stop = new();
    private int _withFirst;
    private int _streams;
    private Change? _change;

    public int WithFirst => Volatile.Read(ref _withFirst);

    public static X509Certificate2Collection Roots(string trustBundlePath)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(trustBundlePath);
        return roots;
    }

    /// <summary>Opens one proxy's connection and streams; <paramref name="destinations"/> are (host, port).</summary>
    public void Add(Uri controlPlane, X509Certificate2Collection roots, string ns, string pod, string token, IReadOnlyList<(string Host, int Port)> destinations)
    {
        // The sidecar's own channel: its HTTP/2 settings, its check of the control plane's certificate, its token on every call.
        var channel = DiscoveryChannel.Create(controlPlane, roots, DiscoveryCredentials.Bearer(token));
        _channels.Add(channel);
        var client = new Discovery.V1.Discovery.DiscoveryClient(channel);
        var fullPod = $"{ns}/{pod}";
        // Each update is acknowledged as a sidecar does once it has applied it (DiscoveryReports): on the proxy's one
        // Reports stream, or (UnaryReports, as sidecars did before) with a Report call each; or (NoReports, a measurement
        // of what the reports cost) not at all.
        Func<PolicyReport, Task> Ack;
        if (NoReports)
        {
            Ack = _ => Task.CompletedTask;
        }
        else if (UnaryReports)
        {
            Ack = report => client.ReportAsync(report, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: _stop.Token).ResponseAsync;
        }
        else
        {
            var reports = System.Threading.Channels.Channel.CreateUnbounded<PolicyReport>(new() { SingleReader = true });
            _reads.Add(SendReportsAsync(client, reports.Reader));
            Ack = report => reports.Writer.TryWrite(report) ? Task.CompletedTask : throw new InvalidOperationException("reports closed");
        }

        _reads.Add(ReadAsync(
            NewStream(),
            id => client.WatchInbound(new InboundRequest { Pod = fullPod }, cancellationToken: _stop.Token).ResponseStream,
            u => (u.PolicyJson, u.Version),
            version => Ack(new PolicyReport { ClientPod = fullPod, Inbound = true, Version = version, Ack = true })));
        foreach (var (host, port) in destinations)
        {
            var request = new DestinationRequest { ClientNamespace = ns, ClientPod = fullPod, Host = host, Port = port };
            _reads.Add(ReadAsync(
                NewStream(),
                id => client.WatchDestination(request, cancellationToken: _stop.Token).ResponseStream,
                u => (u.PolicyJson.IsEmpty ? u.OutsideJson : u.PolicyJson, u.Version),
                version => Ack(new PolicyReport { ClientPod = fullPod, Host = host, Port = port, Version = version, Ack = true })));
        }
    }

    /// <summary>Arms a change: the streams whose last policy holds <paramref name="oldMarker"/> must receive <paramref name="newMarker"/>.</summary>
    public Change Expect(string oldMarker, string newMarker, string id)
    {
        var old = Encoding.UTF8.GetBytes(oldMarker);
        var expected = new bool[_streams];
        var count = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (Volatile.Read(ref _latest[i]).Span.IndexOf(old) >= 0)
            {
                expected[i] = true;
                count++;
            }
        }

        var change = new Change(id, Encoding.UTF8.GetBytes(newMarker), expected, count);
        Volatile.Write(ref _change, change);
        return change;
    }

    /// <summary>Every update received since the change <paramref name="id"/> was armed, while it is the newest (else 0).</summary>
    public int UpdatesOf(string id) => Volatile.Read(ref _change) is { } change && change.Id == id ? change.Updates : 0;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_reads).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        _stop.Dispose();
    }

    /// <summary>Each update acknowledged with a Report call of its own, as sidecars did before the Reports stream.</summary>
    public bool UnaryReports { get; init; }

    /// <summary>No update acknowledged: what the pushes cost without the reports sidecars make (not what a sidecar does).</summary>
    public bool NoReports { get; init; }

    /// <summary>
    /// How long a proxy holds its reports before it writes them (each proxy's first waiting report starts the wait; what
    /// waits by its end is written together): reports deferred past the push, which sidecars do not do.
    /// </summary>
    public TimeSpan ReportDelay { get; init; }

    private async Task SendReportsAsync(Discovery.V1.Discovery.DiscoveryClient client, System.Threading.Channels.ChannelReader<PolicyReport> reports)
    {
        try
        {
            using var call = client.Reports(cancellationToken: _stop.Token);
            while (await reports.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                if (ReportDelay > TimeSpan.Zero)
                {
                    await Task.Delay(ReportDelay, _stop.Token).ConfigureAwait(false);
                }

                while (reports.TryRead(out var report))
                {
                    await call.RequestStream.WriteAsync(report, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled || _stop.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"reports: {e.Status}").ConfigureAwait(false);
        }
    }

    private int NewStream()
    {
        _latest[_streams] = ByteString.Empty;
        return _streams++;
    }

    private async Task ReadAsync<T>(int id, Func<int, IAsyncStreamReader<T>> open, Func<T, (ByteString Json, ulong Version)> read, Func<ulong, Task> ack)
    {
        try
        {
            var reader = open(id);
            var first = true;
            while (await reader.MoveNext(_stop.Token).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                var (bytes, version) = read(reader.Current);
                Volatile.Write(ref _latest[id], bytes);
                Volatile.Read(ref _change)?.Seen(id, bytes.Span, now);
                if (first)
                {
                    first = false;
                    Interlocked.Increment(ref _withFirst);
                }

                await ack(version).ConfigureAwait(false);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled || _stop.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"stream {id}: {e.Status}").ConfigureAwait(false);
        }
    }

    /// <summary>One change in flight: which streams must see the new marker, and when each did.</summary>
    internal sealed class Change(string id, byte[] marker, bool[] expected, int count)
    {
        private readonly long[] _seenAt = new long[expected.Length];
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = -1;
        private int _updates;
        private TimeSpan _pausedAtLast;

        public string Id => id;

        public int Expected => count;

        /// <summary>Every update received since the change was armed, expected or not.</summary>
        public int Updates => Volatile.Read(ref _updates);

        public Task All => count == 0 ? Task.CompletedTask : _all.Task;

        /// <summary>This process's GC pauses so far (<see cref="GC.GetTotalPauseDuration"/>) when the last expected stream had it.</summary>
        public TimeSpan PausedAtLast => _pausedAtLast;

        public void Seen(int id, ReadOnlySpan<byte> json, long now)
        {
            Interlocked.Increment(ref _updates);
            if (id < expected.Length && expected[id] && json.IndexOf(marker) >= 0 && Interlocked.CompareExchange(ref _seenAt[id], now, 0) == 0
                && Interlocked.Increment(ref _remaining) == count - 1)
            {
                _pausedAtLast = GC.GetTotalPauseDuration();
                _all.TrySetResult();
            }
        }

        /// <summary>When each expected stream had it, as <see cref="Stopwatch"/> timestamps (the monotonic clock, the same in every process).</summary>
        public IEnumerable<long> SeenTimestamps => _seenAt.Where(t => t != 0);
    }
}
