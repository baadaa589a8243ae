using System.Globalization;
using System.Text.Json;
using Weft.Discovery;
using Weft.Discovery.Tap;
using Weft.Routing.Authorization;
using Weft.Routing.Resilience;

namespace Weft.Proxy.Metrics;

/// <summary>
/// The proxy's metrics, served at the admin listener's <c>/metrics</c> in the Prometheus text format 0.0.4 or, when the
/// scraper asks for it, OpenMetrics 1.0.0 (<see cref="ExpositionWriter"/>): request counts by status class and a latency
/// histogram on both sides of every call (labelled by source and destination workload, route, rule and backend), L4
/// connections and bytes, retries by verdict, authorization decisions. Per request series and per L4 connection series
/// it also keeps the last minute in 10-second slots (<see cref="SeriesWindow"/>) for <c>/stat</c>. Series are created once per label set, at most
/// <see cref="MaxSeries"/> per family (<see cref="BoundedSeries{TKey, TValue}"/>), and updated with interlocked
/// operations: recording takes no lock.
/// </summary>
internal sealed class ProxyMetrics
{
    /// <summary>The default of <see cref="MaxSeries"/>.</summary>
    public const int DefaultMaxSeries = 2000;

    /// <summary>Histogram bucket bounds in seconds (Linkerd's and Envoy's usual spread, 1 ms to 30 s).</summary>
    internal static readonly double[] Bounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    internal static readonly string[] StatusClasses = ["other", "1xx", "2xx", "3xx", "4xx", "5xx"];

    internal const int StatusClassCount = 6;

    private const int ServerError = 5;

    /// <summary>The status class of a request that got no answer ("other").</summary>
    private const int NoStatus = 0;

    private static readonly string[] BoundLabels = [.. Bounds.Select(b => b.ToString(CultureInfo.InvariantCulture)), "+Inf"];

    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly BoundedSeries<RequestLabels, RequestSeries> _requests;
    private readonly BoundedSeries<(RequestLabels, RetryVerdict), Counter> _retries;
    private readonly BoundedSeries<RequestLabels, TcpSeries> _tcp;

    // Authorization counters by (policy, rule, verdict). Bounded by the pod's own inbound policy: its policies' rules,
    // plus one "default:<name>" series per default, times the five verdicts (and what earlier versions of the policy
    // named); never by callers, paths or anything else a request brings.
    private readonly BoundedSeries<(string Policy, string Rule, AuthorizationVerdict Verdict), Counter> _allowed;
    private readonly BoundedSeries<(string Policy, string Rule, AuthorizationVerdict Verdict), Counter> _denied;

    // Traffic for destinations outside the mesh refused by this sidecar, by reason (OutboundRefusal): a fixed set, no
    // per-destination label, so an app trying many addresses cannot grow the exposition.
    private readonly long[] _outboundRefused = new long[2];

    /// <param name="local">The workload this sidecar serves; unknown when null.</param>
    /// <param name="time">The clock of the windows (its monotonic timestamps).</param>
    /// <param name="maxSeries">The most series per family; further label sets are counted in one overflow series.</param>
    public ProxyMetrics(LocalWorkload? local = null, TimeProvider? time = null, int maxSeries = DefaultMaxSeries)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSeries);
        Local = local ?? LocalWorkload.Unknown;
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        MaxSeries = maxSeries;
        _requests = new(maxSeries, RequestLabels.Overflow, static () => new RequestSeries());
        _retries = new(maxSeries, (RequestLabels.Overflow, (RetryVerdict)(-1)), static () => new Counter());
        _tcp = new(maxSeries, RequestLabels.Overflow, () => new TcpSeries(_time));
        (string, string, AuthorizationVerdict) overflow = (RequestLabels.OverflowValue, RequestLabels.OverflowValue, (AuthorizationVerdict)(-1));
        _allowed = new(maxSeries, overflow, static () => new Counter());
        _denied = new(maxSeries, overflow, static () => new Counter());
        Process = new ProcessSeries.Reading(_time).Get;
    }

    /// <summary>The workload at this end of every series.</summary>
    public LocalWorkload Local { get; }

    /// <summary>The most series per family.</summary>
    public int MaxSeries { get; }

    /// <summary>The discovery client's counts (issue 15), read at each scrape; null without a control plane (no such series).</summary>
    public Func<SubscriptionCounts>? Subscriptions { get; init; }

    /// <summary>The process's own CPU, memory, descriptors and threads (<see cref="ProcessSeries"/>), read when scraped, at most once a second; null: none.</summary>
    public Func<ProcessSeries.Sample?> Process { get; init; }

    /// <summary>The proxy's listeners, for their connection gauges and refusal counters (set by the host once made).</summary>
    public IReadOnlyList<ListenerGuard> Listeners { get; set; } = [];

    public void RecordRequest(in RequestLabels labels, int status, TimeSpan duration)
    {
        var series = _requests.For(labels);
        var statusClass = status is >= 100 and < 600 ? status / 100 : 0;
        var seconds = duration.TotalSeconds;
        var bucket = 0;
        while (bucket < Bounds.Length && seconds > Bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref series.StatusCounts[statusClass]);
        Interlocked.Increment(ref series.Buckets[bucket]);
        Interlocked.Add(ref series.SumMicros, (long)(seconds * 1e6));
        series.Window.Record(SeriesWindow.EpochOf(_time.GetTimestamp(), _time.TimestampFrequency), statusClass, bucket);
    }

    /// <summary>An L4 connection opened: its series, to count its bytes (<see cref="TcpSeries.AddRead"/>) and its close.</summary>
    public TcpSeries OpenConnection(in RequestLabels labels)
    {
        var series = _tcp.For(labels);
        series.Open();
        return series;
    }

    /// <summary>A retry decision after a retryable-looking attempt: <see cref="RetryVerdict.Retry"/> or why not.</summary>
    public void RecordRetry(in RequestLabels labels, RetryVerdict verdict) => Interlocked.Increment(ref _retries.For((labels, verdict)).Value);

    /// <summary>An inbound authorization decision: <paramref name="policy"/> is the policy's name or "default:NAME".</summary>
    public void RecordAuthorization(string policy, string rule, AuthorizationVerdict verdict, bool allowed) =>
        Interlocked.Increment(ref (allowed ? _allowed : _denied).For((policy, rule, verdict)).Value);

    /// <summary>A request or connection for a destination outside the mesh refused by this sidecar (issue 17).</summary>
    public void RecordOutboundRefused(OutboundRefusal reason) => Interlocked.Increment(ref _outboundRefused[(int)reason]);

    /// <summary>The exposition in the Prometheus text format 0.0.4.</summary>
    public string WritePrometheus() => Write(ExpositionFormat.Prometheus);

    public string Write(ExpositionFormat format)
    {
        var text = new ExpositionWriter(format);
        var identity = Local.Identity;
        var requests = Rows(_requests.Snapshot(), identity);
        text.Family("weft_requests_total", "counter", "Requests handled by the proxy, by source and destination workload, route rule, backend and status class.");
        foreach (var (labels, series) in requests)
        {
            for (var statusClass = 0; statusClass < StatusClasses.Length; statusClass++)
            {
                var count = Volatile.Read(ref series.StatusCounts[statusClass]);
                if (count == 0)
                {
                    continue; // a class is listed once a request of it was seen
                }

                Labels(text.Sample("weft_requests_total"), labels).Label("status_class", StatusClasses[statusClass]).Value(count);
            }
        }

        text.Family("weft_request_duration_seconds", "histogram", "Time from the request's arrival to the end of its response.", "seconds");
        foreach (var (labels, series) in requests)
        {
            long cumulative = 0;
            for (var i = 0; i <= Bounds.Length; i++)
            {
                cumulative += Volatile.Read(ref series.Buckets[i]);
                Labels(text.Sample("weft_request_duration_seconds_bucket"), labels).Label("le", BoundLabels[i]).Value(cumulative);
            }

            Labels(text.Sample("weft_request_duration_seconds_sum"), labels).Value(Volatile.Read(ref series.SumMicros) / 1e6);
            Labels(text.Sample("weft_request_duration_seconds_count"), labels).Value(cumulative);
        }

        text.Family("weft_retries_total", "counter", "Retry decisions after a retryable attempt: verdict=retry, or why not.");
        foreach (var ((labels, verdict), counter) in _retries.Snapshot().OrderBy(p => Key(p.Key.Item1), StringComparer.Ordinal).ThenBy(p => p.Key.Item2))
        {
            Labels(text.Sample("weft_retries_total"), LabelPairs(labels, identity)).Label("verdict", VerdictName(verdict)).Value(Volatile.Read(ref counter.Value));
        }

        WriteTcp(text, identity);
        WriteAuthorization(text, "weft_authz_allowed_total", "Inbound requests and connections admitted by the pod's authorization policy.", _allowed);
        WriteAuthorization(text, "weft_authz_denied_total", "Inbound requests and connections refused by the pod's authorization policy.", _denied);
        text.Family("weft_metrics_series_overflow_total", "counter",
            $"Observations counted in a family's overflow series (every label \"overflow\") because the family held its limit of {MaxSeries.ToString(CultureInfo.InvariantCulture)} series.");
        Overflow(text, "weft_requests_total", _requests.Folded);
        Overflow(text, "weft_retries_total", _retries.Folded);
        Overflow(text, "weft_tcp_connections_opened_total", _tcp.Folded);
        Overflow(text, "weft_authz_allowed_total", _allowed.Folded);
        Overflow(text, "weft_authz_denied_total", _denied.Folded);
        text.Family("weft_outbound_refused_total", "counter",
            "Requests and connections for destinations outside the mesh refused by this sidecar: by the outbound policy (registry_only), or because they lead to the sidecar itself or the control plane (off_limits).");
        text.Sample("weft_outbound_refused_total").Label("reason", "registry_only").Value(Volatile.Read(ref _outboundRefused[(int)OutboundRefusal.RegistryOnly]));
        text.Sample("weft_outbound_refused_total").Label("reason", "off_limits").Value(Volatile.Read(ref _outboundRefused[(int)OutboundRefusal.OffLimits]));
        WriteListeners(text);
        if (Subscriptions is { } subscriptions)
        {
            WriteSubscriptions(text, subscriptions());
        }

        if (Process() is { } process)
        {
            ProcessSeries.Write(text, process);
        }

        return text.ToString();
    }

    private static void Overflow(ExpositionWriter text, string family, long folded) =>
        text.Sample("weft_metrics_series_overflow_total").Label("family", family).Value(folded);

    private void WriteTcp(ExpositionWriter text, string identity)
    {
        var tcp = Rows(_tcp.Snapshot(), identity);
        text.Family("weft_tcp_connections_opened_total", "counter", "L4 connections (TCPRoute, TLSRoute, opaque TCP) opened.");
        foreach (var (labels, series) in tcp)
        {
            Labels(text.Sample("weft_tcp_connections_opened_total"), labels).Value(Volatile.Read(ref series.Opened));
        }

        text.Family("weft_tcp_connections_closed_total", "counter", "L4 connections closed.");
        foreach (var (labels, series) in tcp)
        {
            Labels(text.Sample("weft_tcp_connections_closed_total"), labels).Value(Volatile.Read(ref series.Closed));
        }

        text.Family("weft_tcp_connections_open", "gauge", "L4 connections open now.");
        foreach (var (labels, series) in tcp)
        {
            var closed = Volatile.Read(ref series.Closed);
            Labels(text.Sample("weft_tcp_connections_open"), labels).Value(Math.Max(0, Volatile.Read(ref series.Opened) - closed));
        }

        text.Family("weft_tcp_read_bytes_total", "counter", "Bytes read from the side that opened the L4 connection (the client outbound, the peer sidecar inbound).", "bytes");
        foreach (var (labels, series) in tcp)
        {
            Labels(text.Sample("weft_tcp_read_bytes_total"), labels).Value(Volatile.Read(ref series.Read));
        }

        text.Family("weft_tcp_write_bytes_total", "counter", "Bytes written back to the side that opened the L4 connection.", "bytes");
        foreach (var (labels, series) in tcp)
        {
            Labels(text.Sample("weft_tcp_write_bytes_total"), labels).Value(Volatile.Read(ref series.Written));
        }
    }

    /// <summary>
    /// The last <paramref name="window"/> (at most a minute, rounded up to whole 10-second slots, and the current, partial
    /// slot added to them) of every request series, as JSON for <c>weft stat</c>: per series its labels, requests, successes
    /// (answered 1xx to 4xx), counts by status class and latency bucket counts (not cumulative; bounds in <c>bounds</c>, +Inf last);
    /// an L4 connection series has no requests and a <c>tcp</c> object (connections open now, opened in the window, bytes
    /// read and written in the window); <c>seconds</c> is the time the window covers, to turn counts into rates.
    /// </summary>
    public void WriteWindow(Utf8JsonWriter writer, TimeSpan window)
    {
        var w = Window(window);
        writer.WriteStartObject();
        writer.WriteNumber("windowSeconds", w.WindowSeconds);
        writer.WriteNumber("seconds", w.Seconds);
        writer.WriteStartArray("bounds");
        foreach (var bound in w.Bounds)
        {
            writer.WriteNumberValue(bound);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("series");
        foreach (var series in w.Series)
        {
            writer.WriteStartObject();
            writer.WriteStartObject("labels");
            foreach (var (name, value) in series.Labels)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
            writer.WriteNumber("requests", series.Requests);
            writer.WriteNumber("successes", series.Successes);
            writer.WriteStartObject("statusClasses");
            foreach (var (statusClass, count) in series.StatusClasses)
            {
                writer.WriteNumber(statusClass, count);
            }

            writer.WriteEndObject();
            writer.WriteStartArray("buckets");
            foreach (var count in series.Buckets)
            {
                writer.WriteNumberValue(count);
            }

            writer.WriteEndArray();
            if (series.Tcp is { } tcp)
            {
                writer.WriteStartObject("tcp");
                writer.WriteNumber("open", tcp.Open);
                writer.WriteNumber("opened", tcp.Opened);
                writer.WriteNumber("readBytes", tcp.ReadBytes);
                writer.WriteNumber("writeBytes", tcp.WriteBytes);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>
    /// The last <paramref name="window"/> of every request series that counted something in it, and of every L4 connection
    /// series that counted something in it or has a connection open, for <c>/stat</c> and the control plane's stat query (<see cref="Weft.Discovery.V1.TapRequest.StatWindowSeconds"/>); see <see cref="WriteWindow"/>.
    /// </summary>
    public Weft.Discovery.V1.StatWindow Window(TimeSpan window)
    {
        // Whole slots as many as the window asks, and the current, partial one: the time covered is never shorter than the
        // window (at most a slot longer), so a rate over it does not jump each time a slot begins; nor does it reach back
        // before these counters began (a sidecar started 3 s ago has counted for 3 s).
        var whole = (int)Math.Clamp(Math.Ceiling(window / SeriesWindow.SlotLength), 1, SeriesWindow.MaxWholeSlots);
        var slots = whole + 1;
        var now = _time.GetTimestamp();
        var frequency = _time.TimestampFrequency;
        var current = SeriesWindow.EpochOf(now, frequency);
        var slotTicks = frequency * (long)SeriesWindow.SlotLength.TotalSeconds;
        var covered = (double)(now - Math.Max((current - slots + 1) * slotTicks, _started)) / frequency;
        var identity = Local.Identity;
        var result = new Weft.Discovery.V1.StatWindow
        {
            WindowSeconds = whole * SeriesWindow.SlotLength.TotalSeconds,
            Seconds = Math.Round(covered, 3),
        };
        result.Bounds.AddRange(Bounds);
        // A request series' counts: its status classes, then its latency buckets.
        var counts = new long[SeriesWindow.RequestCounts];
        foreach (var (labels, series) in Sorted(_requests.Snapshot()))
        {
            Array.Clear(counts);
            if (!series.Window.Sum(current, slots, counts))
            {
                continue;
            }

            var total = 0L;
            for (var i = 0; i < StatusClassCount; i++)
            {
                total += counts[i];
            }

            // A success is an answer below 500, as weft top and traces count it: a request that got no answer is a failure.
            var row = Labelled(new Weft.Discovery.V1.StatSeries { Requests = (ulong)total, Successes = (ulong)(total - counts[ServerError] - counts[NoStatus]) }, labels);
            for (var i = 0; i < StatusClassCount; i++)
            {
                if (counts[i] > 0)
                {
                    row.StatusClasses[StatusClasses[i]] = (ulong)counts[i];
                }
            }

            row.Buckets.AddRange(counts.Skip(StatusClassCount).Select(b => (ulong)b));
            result.Series.Add(row);
        }

        var tcpSums = new long[SeriesWindow.ConnectionCounts];
        foreach (var (labels, series) in Sorted(_tcp.Snapshot()))
        {
            Array.Clear(tcpSums);
            var open = Math.Max(0, Volatile.Read(ref series.Opened) - Volatile.Read(ref series.Closed));
            if (!series.Window.Sum(current, slots, tcpSums) && open == 0)
            {
                continue;
            }

            result.Series.Add(Labelled(new Weft.Discovery.V1.StatSeries
            {
                Tcp = new Weft.Discovery.V1.StatTcp
                {
                    Open = (ulong)open,
                    Opened = (ulong)tcpSums[SeriesWindow.OpenedIndex],
                    ReadBytes = (ulong)tcpSums[SeriesWindow.ReadIndex],
                    WriteBytes = (ulong)tcpSums[SeriesWindow.WrittenIndex],
                },
            }, labels));
        }

        return result;

        Weft.Discovery.V1.StatSeries Labelled(Weft.Discovery.V1.StatSeries row, in RequestLabels labels)
        {
            foreach (var (name, value) in LabelPairs(labels, identity))
            {
                row.Labels[name] = value;
            }

            return row;
        }
    }

    private void WriteListeners(ExpositionWriter text)
    {
        var listeners = Listeners;
        text.Family("weft_listener_connections", "gauge", "Connections open on each listener.");
        foreach (var listener in listeners)
        {
            text.Sample("weft_listener_connections").Label("listener", Name(listener)).Value(listener.Active);
        }

        text.Family("weft_listener_max_connections", "gauge", "The most connections each listener holds open at once.");
        foreach (var listener in listeners)
        {
            text.Sample("weft_listener_max_connections").Label("listener", Name(listener)).Value(listener.Limit);
        }

        text.Family("weft_listener_refused_total", "counter", "Connections closed at once because their listener was full.");
        foreach (var listener in listeners)
        {
            text.Sample("weft_listener_refused_total").Label("listener", Name(listener)).Value(listener.Refused);
        }

        text.Family("weft_listener_shed_total", "counter", "Connections without a request in flight closed to admit a new one because their listener was full.");
        foreach (var listener in listeners)
        {
            text.Sample("weft_listener_shed_total").Label("listener", Name(listener)).Value(listener.ShedCount);
        }

        static string Name(ListenerGuard listener) => listener.Name;
    }

    private static void WriteSubscriptions(ExpositionWriter text, SubscriptionCounts counts)
    {
        Single(text, "weft_discovery_subscriptions", "gauge", "Destination subscriptions open (one stream to the control plane each).", counts.Open);
        Single(text, "weft_discovery_subscriptions_limit", "gauge", "The most destination subscriptions the sidecar opens; a new destination beyond it gets 503.", counts.Limit);
        Single(text, "weft_discovery_subscriptions_refused_total", "counter", "Requests (503) and connections (closed) to a new destination refused because the subscription limit was reached (one look-up each).", counts.Refused);
        Single(text, "weft_discovery_subscriptions_idle_closed_total", "counter", "Destination subscriptions closed because nothing used them for the idle timeout.", counts.IdleClosed);
        Single(text, "weft_discovery_not_found_entries", "gauge", "Destinations the control plane does not know, remembered without a stream until they expire.", counts.NotFoundCached);
        Single(text, "weft_discovery_not_found_evicted_total", "counter", "Remembered unknown destinations forgotten before expiry because the cache was full.", counts.NotFoundEvicted);
    }

    private static void Single(ExpositionWriter text, string name, string type, string help, long value) =>
        text.Family(name, type, help).Unlabelled(name, value);

    internal static string VerdictName(AuthorizationVerdict verdict) => verdict switch
    {
        AuthorizationVerdict.AllowedByPolicy => "allowed_by_policy",
        AuthorizationVerdict.DeniedByPolicy => "denied_by_policy",
        AuthorizationVerdict.NotAllowedByPolicy => "not_allowed_by_policy",
        AuthorizationVerdict.AllowedByDefault => "allowed_by_default",
        AuthorizationVerdict.DeniedByDefault => "denied_by_default",
        (AuthorizationVerdict)(-1) => RequestLabels.OverflowValue,
        _ => verdict.ToString(),
    };

    private static void WriteAuthorization(
        ExpositionWriter text, string name, string help, BoundedSeries<(string Policy, string Rule, AuthorizationVerdict Verdict), Counter> counters)
    {
        text.Family(name, "counter", help);
        foreach (var ((policy, rule, verdict), counter) in counters.Snapshot().OrderBy(p => p.Key.Policy, StringComparer.Ordinal).ThenBy(p => p.Key.Rule, StringComparer.Ordinal).ThenBy(p => p.Key.Verdict))
        {
            text.Sample(name).Label("policy", policy).Label("rule", rule).Label("verdict", VerdictName(verdict)).Value(Volatile.Read(ref counter.Value));
        }
    }

    internal static string VerdictName(RetryVerdict verdict) => verdict switch
    {
        RetryVerdict.Retry => "retry",
        RetryVerdict.NoPolicy => "no_policy",
        RetryVerdict.NotRetryable => "not_retryable",
        RetryVerdict.AttemptsExhausted => "attempts_exhausted",
        RetryVerdict.BodyNotReplayable => "body_not_replayable",
        RetryVerdict.NoTimeLeft => "no_time_left",
        RetryVerdict.BudgetExhausted => "budget_exhausted",
        (RetryVerdict)(-1) => RequestLabels.OverflowValue,
        _ => verdict.ToString(),
    };

    /// <summary>Series in the order of their labels, each one's sort key made once (not once per comparison).</summary>
    private static KeyValuePair<RequestLabels, T>[] Sorted<T>(KeyValuePair<RequestLabels, T>[] series) =>
        [.. series.OrderBy(p => Key(p.Key), StringComparer.Ordinal)];

    /// <summary>
    /// <see cref="Sorted{T}"/> series with their labels by name, made once per series: a request series writes them in
    /// up to 22 samples, a TCP series in 5.
    /// </summary>
    private (KeyValuePair<string, string>[] Labels, T Series)[] Rows<T>(KeyValuePair<RequestLabels, T>[] series, string identity) =>
        [.. Sorted(series).Select(p => (LabelPairs(p.Key, identity), p.Value))];

    private static string Key(RequestLabels l) =>
        string.Join('\u0001', l.Direction, l.DstNamespace, l.DstService, l.DstPort, l.RouteKind, l.RouteNamespace, l.RouteName, l.Rule, l.Backend,
            l.PeerNamespace, l.PeerWorkload, l.PeerIdentity);

    private static ExpositionWriter Labels(ExpositionWriter text, KeyValuePair<string, string>[] labels)
    {
        foreach (var (name, value) in labels)
        {
            text.Label(name, value);
        }

        return text;
    }

    /// <summary>
    /// A series' labels by name. This sidecar's workload is the source of an outbound series and the destination of an
    /// inbound one; the series' peer is the other end.
    /// </summary>
    private KeyValuePair<string, string>[] LabelPairs(in RequestLabels l, string identity)
    {
        var ends = CallEnds.Of(l, Local, identity);
        return
        [
            new(StatLabels.Direction, l.Direction),
            new(StatLabels.DstNamespace, ends.DstNamespace),
            new(StatLabels.DstService, l.DstService),
            new(StatLabels.DstPort, l.DstPort),
            new(StatLabels.RouteKind, l.RouteKind),
            new(StatLabels.RouteNamespace, l.RouteNamespace),
            new(StatLabels.RouteName, l.RouteName),
            new(StatLabels.Rule, l.Rule),
            new(StatLabels.Backend, l.Backend),
            new(StatLabels.SrcNamespace, ends.SrcNamespace),
            new(StatLabels.SrcWorkload, ends.SrcWorkload),
            new(StatLabels.SrcIdentity, ends.SrcIdentity),
            new(StatLabels.DstWorkload, ends.DstWorkload),
            new(StatLabels.DstIdentity, ends.DstIdentity),
        ];
    }

    private sealed class RequestSeries
    {
        public readonly long[] StatusCounts = new long[StatusClassCount];
        public readonly long[] Buckets = new long[Bounds.Length + 1];
        public readonly SeriesWindow Window = SeriesWindow.ForRequests();
        public long SumMicros;
    }

    private sealed class Counter
    {
        public long Value;
    }
}
