using System.Collections.Concurrent;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Serving;

/// <summary>The live WatchDestination and WatchInbound streams and what each client said about the versions it got (for status).</summary>
internal sealed class SubscriptionRegistry
{
    private readonly ConcurrentDictionary<long, Entry> _entries = new();
    private readonly ConcurrentDictionary<long, InboundEntry> _inbound = new();
    private long _nextId;

    public InboundEntry Add(InboundRequest request)
    {
        var entry = new InboundEntry(request.Pod) { Id = Interlocked.Increment(ref _nextId) };
        _inbound[entry.Id] = entry;
        return entry;
    }

    public void Remove(InboundEntry entry) => _inbound.TryRemove(entry.Id, out _);

    public IEnumerable<InboundSubscription> InboundSnapshot() =>
        _inbound.OrderBy(e => e.Key).Select(e => e.Value.ToProto());

    public Entry Add(DestinationRequest request)
    {
        var entry = new Entry(request) { Id = Interlocked.Increment(ref _nextId) };
        _entries[entry.Id] = entry;
        return entry;
    }

    public void Remove(Entry entry) => _entries.TryRemove(entry.Id, out _);

    /// <summary>Records an ACK or NACK on every live stream of (client pod, host, port). False when there is none.</summary>
    public bool Report(PolicyReport report)
    {
        var known = false;
        if (report.Inbound)
        {
            foreach (var entry in _inbound.Values)
            {
                if (string.Equals(entry.Pod, report.ClientPod, StringComparison.Ordinal))
                {
                    entry.Record(report);
                    known = true;
                }
            }

            return known;
        }

        foreach (var entry in _entries.Values)
        {
            if (entry.Matches(report))
            {
                entry.Record(report);
                known = true;
            }
        }

        return known;
    }

    public IEnumerable<Subscription> Snapshot() =>
        _entries.OrderBy(e => e.Key).Select(e => e.Value.ToProto());

    public sealed class Entry(DestinationRequest request)
    {
        private readonly Lock _gate = new();
        private DestinationStatus _status;
        private ulong _sent;
        private ulong _evaluated;
        private ulong _acked;
        private ulong _nacked;
        private string _nackError = "";

        public required long Id { get; init; }

        public DestinationRequest Request { get; } = request;

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

        public bool Matches(PolicyReport report) =>
            report.Port == Request.Port
            && string.Equals(report.ClientPod, Request.ClientPod, StringComparison.Ordinal)
            && string.Equals(report.Host, Request.Host, StringComparison.OrdinalIgnoreCase);

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

        public Subscription ToProto()
        {
            lock (_gate)
            {
                return new Subscription
                {
                    ClientNamespace = Request.ClientNamespace,
                    ClientPod = Request.ClientPod,
                    Host = Request.Host,
                    Port = Request.Port,
                    Status = _status,
                    SentVersion = _sent,
                    AckedVersion = _acked,
                    NackedVersion = _nacked,
                    NackError = _nackError,
                    EvaluatedVersion = _evaluated,
                };
            }
        }
    }

    /// <summary>One WatchInbound stream: what was sent, and what the sidecar said of it.</summary>
    public sealed class InboundEntry(string pod)
    {
        private readonly Lock _gate = new();
        private DestinationStatus _status;
        private ulong _sent;
        private ulong _evaluated;
        private ulong _acked;
        private ulong _nacked;
        private string _nackError = "";

        public required long Id { get; init; }

        public string Pod { get; } = pod;

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

        public InboundSubscription ToProto()
        {
            lock (_gate)
            {
                return new InboundSubscription
                {
                    Pod = Pod,
                    Status = _status,
                    SentVersion = _sent,
                    AckedVersion = _acked,
                    NackedVersion = _nacked,
                    NackError = _nackError,
                    EvaluatedVersion = _evaluated,
                };
            }
        }
    }
}
