using System.Collections.Concurrent;
using Grpc.Core;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// The live WatchDestination and WatchInbound streams and what each client said about the versions it got (for status).
/// A stream is in it from its start to its end (the service removes it in a <c>finally</c>), and one client pod holds at
/// most <see cref="MaxStreamsPerPod"/> (issue 15). Streams are also kept by client pod, so that a report (every sidecar
/// reports each update it gets) is matched among its own pod's streams, not among every stream of the mesh: at 5,000
/// sidecars a push to all of them brought 5,000 reports, and a scan of 20,000 streams each took the control plane
/// seconds (issue 18).
/// </summary>
internal sealed class SubscriptionRegistry
{
    private readonly ConcurrentDictionary<long, Entry> _entries = new();
    private readonly ConcurrentDictionary<long, InboundStream> _inbound = new();
    private readonly Dictionary<string, PodStreams> _pods = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _nextId;
    private long _refused;

    /// <summary>The most streams (destination and inbound together) one client pod may hold; beyond it a stream is refused.</summary>
    public int MaxStreamsPerPod { get; init; } = 2000;

    /// <summary>Streams refused since start because their pod held <see cref="MaxStreamsPerPod"/>.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <exception cref="RpcException">ResourceExhausted: the pod holds <see cref="MaxStreamsPerPod"/> streams.</exception>
    public InboundStream Add(InboundRequest request)
    {
        var entry = new InboundStream(request.Pod) { Id = Interlocked.Increment(ref _nextId) };
        Reserve(request.Pod, entry);
        _inbound[entry.Id] = entry;
        return entry;
    }

    public void Remove(InboundStream entry)
    {
        if (_inbound.TryRemove(entry.Id, out _))
        {
            Release(entry.Pod, entry);
        }
    }

    public IEnumerable<InboundSubscription> InboundSnapshot() =>
        _inbound.ToArray().OrderBy(e => e.Key).Select(e => e.Value.ToProto());

    /// <exception cref="RpcException">ResourceExhausted: the client pod holds <see cref="MaxStreamsPerPod"/> streams.</exception>
    public Entry Add(DestinationRequest request)
    {
        var entry = new Entry(request) { Id = Interlocked.Increment(ref _nextId) };
        Reserve(request.ClientPod, entry);
        _entries[entry.Id] = entry;
        return entry;
    }

    public void Remove(Entry entry)
    {
        if (_entries.TryRemove(entry.Id, out _))
        {
            Release(entry.Request.ClientPod, entry);
        }
    }

    /// <summary>Streams open for the pod (destination and inbound).</summary>
    public int StreamsOf(string pod)
    {
        lock (_gate)
        {
            return _pods.TryGetValue(pod, out var streams) ? streams.Count : 0;
        }
    }

    /// <summary>The most Reports streams one pod may hold open (a sidecar opens one; a second while the first is torn down).</summary>
    public int MaxReportStreamsPerPod { get; init; } = 4;

    /// <summary>
    /// Counts a Reports stream of <paramref name="pod"/> in until the returned handle is disposed.
    /// </summary>
    /// <exception cref="RpcException">ResourceExhausted: the pod holds <see cref="MaxReportStreamsPerPod"/> already.</exception>
    public IDisposable OpenReports(string pod)
    {
        lock (_gate)
        {
            var streams = StreamsFor(pod);
            if (streams.ReportStreams >= MaxReportStreamsPerPod)
            {
                Interlocked.Increment(ref _refused);
                ForgetIfEmpty(pod, streams);
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"pod {pod} holds {streams.ReportStreams} Reports streams, the most one pod may"));
            }

            streams.ReportStreams++;
            return new ReportsHandle(this, pod);
        }
    }

    private void CloseReports(string pod)
    {
        lock (_gate)
        {
            if (_pods.TryGetValue(pod, out var streams))
            {
                streams.ReportStreams--;
                ForgetIfEmpty(pod, streams);
            }
        }
    }

    private void Reserve(string pod, StreamProgress stream)
    {
        lock (_gate)
        {
            var streams = StreamsFor(pod);
            lock (streams.Gate)
            {
                if (streams.Count >= MaxStreamsPerPod)
                {
                    Interlocked.Increment(ref _refused);
                    ForgetIfEmpty(pod, streams);
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, $"pod {pod} holds {streams.Count} discovery streams, the most one pod may"));
                }

                streams.Add(stream);
            }
        }
    }

    private void Release(string pod, StreamProgress stream)
    {
        lock (_gate)
        {
            if (_pods.TryGetValue(pod, out var streams))
            {
                lock (streams.Gate)
                {
                    streams.Remove(stream);
                }

                ForgetIfEmpty(pod, streams);
            }
        }
    }

    // Under _gate.
    private PodStreams StreamsFor(string pod)
    {
        if (!_pods.TryGetValue(pod, out var streams))
        {
            _pods[pod] = streams = new PodStreams();
        }

        return streams;
    }

    // Under _gate: a pod with no stream of any kind is forgotten.
    private void ForgetIfEmpty(string pod, PodStreams streams)
    {
        if (streams.Count == 0 && streams.ReportStreams == 0)
        {
            _pods.Remove(pod);
        }
    }

    /// <summary>Records an ACK or NACK on every live stream of (client pod, host, port). False when there is none.</summary>
    /// <remarks>
    /// Only the pod's own streams are looked at, under the pod's lock: the registry's lock is held for the look-up of the
    /// pod alone, so that a sidecar reporting fast holds up no other pod's streams starting or ending.
    /// </remarks>
    public bool Report(PolicyReport report)
    {
        PodStreams? streams;
        lock (_gate)
        {
            _pods.TryGetValue(report.ClientPod, out streams);
        }

        var known = false;
        if (streams is null)
        {
            return false;
        }

        lock (streams.Gate)
        {
            foreach (var stream in streams)
            {
                if (report.Inbound ? stream is InboundStream : stream is Entry entry && entry.Matches(report))
                {
                    stream.Record(report);
                    known = true;
                }
            }
        }

        return known;
    }

    /// <summary>One pod's streams (changed under the registry's lock and <see cref="Gate"/>, read under <see cref="Gate"/>) and its Reports streams.</summary>
    private sealed class PodStreams : HashSet<StreamProgress>
    {
        public Lock Gate { get; } = new();

        public int ReportStreams { get; set; }
    }

    private sealed class ReportsHandle(SubscriptionRegistry owner, string pod) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.CloseReports(pod);
            }
        }
    }

    // ToArray, a copy under the dictionary's locks: OrderBy would copy by Count then CopyTo, which throws when a stream is added in between.
    public IEnumerable<Subscription> Snapshot() =>
        _entries.ToArray().OrderBy(e => e.Key).Select(e => e.Value.ToProto());

    /// <summary>What one stream sent and what the sidecar said of it (ACK/NACK): the part every subscription kind shares.</summary>
    public abstract class StreamProgress
    {
        private readonly Lock _gate = new();
        private DestinationStatus _status;
        private ulong _sent;
        private ulong _evaluated;
        private ulong _acked;
        private ulong _nacked;
        private string _nackError = "";

        public required long Id { get; init; }

        public void Sent(ulong version, DestinationStatus status)
        {
            lock (_gate)
            {
                _sent = version;
                _status = status;
            }
        }

        public void Evaluated(ulong version)
        {
            lock (_gate)
            {
                _evaluated = version;
            }
        }

        public void Record(PolicyReport report)
        {
            lock (_gate)
            {
                if (report.Ack)
                {
                    _acked = Math.Max(_acked, report.Version);
                }
                else
                {
                    _nacked = Math.Max(_nacked, report.Version);
                    _nackError = report.Error;
                }
            }
        }

        /// <summary>A consistent copy of the progress.</summary>
        protected (DestinationStatus Status, ulong Sent, ulong Acked, ulong Nacked, string NackError, ulong Evaluated) Read()
        {
            lock (_gate)
            {
                return (_status, _sent, _acked, _nacked, _nackError, _evaluated);
            }
        }
    }

    /// <summary>One WatchDestination stream.</summary>
    public sealed class Entry(DestinationRequest request) : StreamProgress
    {
        public DestinationRequest Request { get; } = request;

        public bool Matches(PolicyReport report) =>
            report.Port == Request.Port
            && string.Equals(report.ClientPod, Request.ClientPod, StringComparison.Ordinal)
            && string.Equals(report.Host, Request.Host, StringComparison.OrdinalIgnoreCase);

        public Subscription ToProto()
        {
            var p = Read();
            return new Subscription
            {
                ClientNamespace = Request.ClientNamespace,
                ClientPod = Request.ClientPod,
                Host = Request.Host,
                Port = Request.Port,
                Status = p.Status,
                SentVersion = p.Sent,
                AckedVersion = p.Acked,
                NackedVersion = p.Nacked,
                NackError = p.NackError,
                EvaluatedVersion = p.Evaluated,
            };
        }
    }

    /// <summary>One WatchInbound stream.</summary>
    public sealed class InboundStream(string pod) : StreamProgress
    {
        public string Pod { get; } = pod;

        public InboundSubscription ToProto()
        {
            var p = Read();
            return new InboundSubscription
            {
                Pod = Pod,
                Status = p.Status,
                SentVersion = p.Sent,
                AckedVersion = p.Acked,
                NackedVersion = p.Nacked,
                NackError = p.NackError,
                EvaluatedVersion = p.Evaluated,
            };
        }
    }
}
