using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Weft.Discovery;
using Weft.Routing.Authorization;
using Weft.Routing.Resilience;

namespace Weft.Proxy.Metrics;

/// <summary>
/// The proxy's Prometheus metrics (text exposition format 0.0.4), served at the admin listener's <c>/metrics</c>: request
/// counts by status class, a latency histogram, retries by verdict. Series are created once per label set and updated
/// with interlocked operations: recording takes no lock.
/// </summary>
internal sealed class ProxyMetrics
{
    /// <summary>Histogram bucket bounds in seconds (Linkerd's and Envoy's usual spread, 1 ms to 30 s).</summary>
    internal static readonly double[] Bounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly string[] StatusClasses = ["other", "1xx", "2xx", "3xx", "4xx", "5xx"];

    // One series per label set: its counts by status class and its latency histogram, so a request costs one lookup.
    private readonly ConcurrentDictionary<RequestLabels, Series> _series = new();
    private readonly ConcurrentDictionary<(RequestLabels, RetryVerdict), Counter> _retries = new();

    // Authorization counters by (policy, rule, verdict). Bounded by the pod's own inbound policy: its policies' rules,
    // plus one "default:<name>" series per default, times the five verdicts (and what earlier versions of the policy
    // named); never by callers, paths or anything else a request brings.
    private readonly ConcurrentDictionary<(string Policy, string Rule, AuthorizationVerdict Verdict), Counter> _allowed = new();
    private readonly ConcurrentDictionary<(string Policy, string Rule, AuthorizationVerdict Verdict), Counter> _denied = new();

    /// <summary>The discovery client's counts (issue 15), read at each scrape; null without a control plane (no such series).</summary>
    public Func<SubscriptionCounts>? Subscriptions { get; init; }

    public void RecordRequest(in RequestLabels labels, int status, TimeSpan duration)
    {
        var series = _series.GetOrAdd(labels, static _ => new Series());
        Interlocked.Increment(ref series.StatusCounts[status is >= 100 and < 600 ? status / 100 : 0]);
        series.Durations.Observe(duration.TotalSeconds);
    }

    /// <summary>A retry decision after a retryable-looking attempt: <see cref="RetryVerdict.Retry"/> or why not.</summary>
    public void RecordRetry(in RequestLabels labels, RetryVerdict verdict) => Increment(_retries, (labels, verdict));

    /// <summary>An inbound authorization decision: <paramref name="policy"/> is the policy's name or "default:NAME".</summary>
    public void RecordAuthorization(string policy, string rule, AuthorizationVerdict verdict, bool allowed) =>
        Increment(allowed ? _allowed : _denied, (policy, rule, verdict));

    public string WritePrometheus()
    {
        var text = new StringBuilder();
        text.Append("# HELP weft_requests_total Requests handled by the proxy, by route rule, backend and status class.\n");
        text.Append("# TYPE weft_requests_total counter\n");
        var series = _series.OrderBy(p => Key(p.Key), StringComparer.Ordinal).ToArray();
        foreach (var (labels, counts) in series)
        {
            for (var statusClass = 0; statusClass < StatusClasses.Length; statusClass++)
            {
                var count = Volatile.Read(ref counts.StatusCounts[statusClass]);
                if (count == 0)
                {
                    continue; // a class is listed once a request of it was seen
                }

                text.Append("weft_requests_total{");
                Labels(text, labels);
                text.Append(",status_class=\"").Append(StatusClasses[statusClass]).Append("\"} ");
                text.Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        text.Append("# HELP weft_request_duration_seconds Time from the request's arrival to the end of its response.\n");
        text.Append("# TYPE weft_request_duration_seconds histogram\n");
        foreach (var (labels, entry) in series)
        {
            var histogram = entry.Durations;
            long cumulative = 0;
            for (var i = 0; i <= Bounds.Length; i++)
            {
                cumulative += Volatile.Read(ref histogram.Counts[i]);
                text.Append("weft_request_duration_seconds_bucket{");
                Labels(text, labels);
                text.Append(",le=\"").Append(i < Bounds.Length ? Bounds[i].ToString(CultureInfo.InvariantCulture) : "+Inf").Append("\"} ");
                text.Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            text.Append("weft_request_duration_seconds_sum{");
            Labels(text, labels);
            text.Append("} ").Append((Volatile.Read(ref histogram.SumMicros) / 1e6).ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("weft_request_duration_seconds_count{");
            Labels(text, labels);
            text.Append("} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("# HELP weft_retries_total Retry decisions after a retryable attempt: verdict=retry, or why not.\n");
        text.Append("# TYPE weft_retries_total counter\n");
        foreach (var ((labels, verdict), counter) in _retries.OrderBy(p => Key(p.Key.Item1), StringComparer.Ordinal).ThenBy(p => p.Key.Item2))
        {
            text.Append("weft_retries_total{");
            Labels(text, labels);
            text.Append(",verdict=\"").Append(VerdictName(verdict)).Append("\"} ");
            text.Append(Volatile.Read(ref counter.Value).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        WriteAuthorization(text, "weft_authz_allowed_total", "Inbound requests and connections admitted by the pod's authorization policy.", _allowed);
        WriteAuthorization(text, "weft_authz_denied_total", "Inbound requests and connections refused by the pod's authorization policy.", _denied);
        WriteListeners(text);
        if (Subscriptions is { } subscriptions)
        {
            WriteSubscriptions(text, subscriptions());
        }

        return text.ToString();
    }

    /// <summary>The proxy's listeners, for their connection gauges and refusal and shedding counters (set by the host once made).</summary>
    public IReadOnlyList<ListenerGuard> Listeners { get; set; } = [];

    private void WriteListeners(StringBuilder text)
    {
        var listeners = Listeners;
        text.Append("# HELP weft_listener_connections Connections open on each listener.\n# TYPE weft_listener_connections gauge\n");
        foreach (var listener in listeners)
        {
            text.Append("weft_listener_connections{listener=\"").Append(Name(listener)).Append("\"} ").Append(listener.Active.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("# HELP weft_listener_max_connections The most connections each listener holds open at once.\n# TYPE weft_listener_max_connections gauge\n");
        foreach (var listener in listeners)
        {
            text.Append("weft_listener_max_connections{listener=\"").Append(Name(listener)).Append("\"} ").Append(listener.Limit.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("# HELP weft_listener_refused_total Connections closed at once because their listener was full.\n# TYPE weft_listener_refused_total counter\n");
        foreach (var listener in listeners)
        {
            text.Append("weft_listener_refused_total{listener=\"").Append(Name(listener)).Append("\"} ").Append(listener.Refused.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append("# HELP weft_listener_shed_total Connections without a request in flight closed to admit a new one because their listener was full.\n# TYPE weft_listener_shed_total counter\n");
        foreach (var listener in listeners)
        {
            text.Append("weft_listener_shed_total{listener=\"").Append(Name(listener)).Append("\"} ").Append(listener.ShedCount.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        static string Name(ListenerGuard listener) => listener.Name;
    }

    private static void WriteSubscriptions(StringBuilder text, SubscriptionCounts counts)
    {
        Single(text, "weft_discovery_subscriptions", "gauge", "Destination subscriptions open (one stream to the control plane each).", counts.Open);
        Single(text, "weft_discovery_subscriptions_limit", "gauge", "The most destination subscriptions the sidecar opens; a new destination beyond it gets 503.", counts.Limit);
        Single(text, "weft_discovery_subscriptions_refused_total", "counter", "Requests (503) and connections (closed) to a new destination refused because the subscription limit was reached (one look-up each).", counts.Refused);
        Single(text, "weft_discovery_subscriptions_idle_closed_total", "counter", "Destination subscriptions closed because nothing used them for the idle timeout.", counts.IdleClosed);
        Single(text, "weft_discovery_not_found_entries", "gauge", "Destinations the control plane does not know, remembered without a stream until they expire.", counts.NotFoundCached);
        Single(text, "weft_discovery_not_found_evicted_total", "counter", "Remembered unknown destinations forgotten before expiry because the cache was full.", counts.NotFoundEvicted);
    }

    private static void Single(StringBuilder text, string name, string type, string help, long value)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        text.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    internal static string VerdictName(AuthorizationVerdict verdict) => verdict switch
    {
        AuthorizationVerdict.AllowedByPolicy => "allowed_by_policy",
        AuthorizationVerdict.DeniedByPolicy => "denied_by_policy",
        AuthorizationVerdict.NotAllowedByPolicy => "not_allowed_by_policy",
        AuthorizationVerdict.AllowedByDefault => "allowed_by_default",
        AuthorizationVerdict.DeniedByDefault => "denied_by_default",
        _ => verdict.ToString(),
    };

    private static void WriteAuthorization(StringBuilder text, string name, string help, ConcurrentDictionary<(string Policy, string Rule, AuthorizationVerdict Verdict), Counter> counters)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(" counter\n");
        foreach (var ((policy, rule, verdict), counter) in counters.OrderBy(p => p.Key.Policy, StringComparer.Ordinal).ThenBy(p => p.Key.Rule, StringComparer.Ordinal).ThenBy(p => p.Key.Verdict))
        {
            text.Append(name).Append('{');
            Label(text, "policy", policy, first: true);
            Label(text, "rule", rule);
            Label(text, "verdict", VerdictName(verdict));
            text.Append("} ").Append(Volatile.Read(ref counter.Value).ToString(CultureInfo.InvariantCulture)).Append('\n');
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
        _ => verdict.ToString(),
    };

    private static void Increment<TKey>(ConcurrentDictionary<TKey, Counter> counters, TKey key)
        where TKey : notnull
    {
        var counter = counters.GetOrAdd(key, static _ => new Counter());
        Interlocked.Increment(ref counter.Value);
    }

    private static string Key(RequestLabels l) =>
        string.Join('\u0001', l.Direction, l.DstNamespace, l.DstService, l.DstPort, l.RouteKind, l.RouteNamespace, l.RouteName, l.Rule, l.Backend);

    private static void Labels(StringBuilder text, RequestLabels l)
    {
        Label(text, "direction", l.Direction, first: true);
        Label(text, "dst_namespace", l.DstNamespace);
        Label(text, "dst_service", l.DstService);
        Label(text, "dst_port", l.DstPort);
        Label(text, "route_kind", l.RouteKind);
        Label(text, "route_namespace", l.RouteNamespace);
        Label(text, "route_name", l.RouteName);
        Label(text, "rule", l.Rule);
        Label(text, "backend", l.Backend);
    }

    private static void Label(StringBuilder text, string name, string value, bool first = false)
    {
        if (!first)
        {
            text.Append(',');
        }

        text.Append(name).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                _ => text.Append(c),
            };
        }

        text.Append('"');
    }

    private sealed class Series
    {
        public readonly long[] StatusCounts = new long[StatusClasses.Length];
        public readonly Histogram Durations = new();
    }

    private sealed class Counter
    {
        public long Value;
    }

    private sealed class Histogram
    {
        public readonly long[] Counts = new long[Bounds.Length + 1];
        public long SumMicros;

        public void Observe(double seconds)
        {
            var i = 0;
            while (i < Bounds.Length && seconds > Bounds[i])
            {
                i++;
            }

            Interlocked.Increment(ref Counts[i]);
            Interlocked.Add(ref SumMicros, (long)(seconds * 1e6));
        }
    }
}
