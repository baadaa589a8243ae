using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Metrics;
using Weft.Routing.Authorization;
using Weft.Routing.Matching;

namespace Weft.Proxy.Inbound;

/// <summary>What the sidecar does with one inbound request or connection (issue 14).</summary>
internal enum InboundVerdict
{
    Allowed,

    /// <summary>The pod's inbound policy refuses the caller: 403, gRPC PERMISSION_DENIED, or the connection closed.</summary>
    Denied,

    /// <summary>No inbound policy has been received yet (or the control plane does not know the pod): nothing is admitted.</summary>
    NoPolicy,
}

/// <summary>
/// Every inbound path's authorization step (issue 14): the pod's <see cref="AuthorizationTable"/> in force, read once per
/// request or connection so that each is decided by one whole policy (a swap is one reference write), the decision by
/// <see cref="AuthorizationPlanner"/>, its metrics, and a log line per denial (at most one per
/// <see cref="DenialLogInterval"/> for each policy, rule and caller). The caller's identity is only ever the verified
/// mTLS peer's (<see cref="IPeerIdentityFeature"/>), never a header.
/// </summary>
internal sealed class InboundAuthorization
{
    /// <summary>How often a denial of one (policy, rule, caller) is logged; the ones in between are counted in the next line.</summary>
    public static readonly TimeSpan DenialLogInterval = TimeSpan.FromSeconds(10);

    private const int MaxDenialKeys = 4096;

    private static readonly string[] SmallRules = [.. Enumerable.Range(0, 32).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private readonly Func<AuthorizationTable?> _current;
    private readonly ProxyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Policy, string Rule, string Caller), DenialCount> _denials = new();

    /// <param name="current">The table in force; it returns null while there is none (nothing is admitted then).</param>
    /// <param name="metrics">Where decisions are counted.</param>
    /// <param name="logger">Where denials are logged.</param>
    /// <param name="time">The clock of the denial log's interval.</param>
    public InboundAuthorization(Func<AuthorizationTable?> current, ProxyMetrics metrics, ILogger logger, TimeProvider time)
    {
        _current = current;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    /// <summary>Whether inbound traffic can be decided: a policy has been applied.</summary>
    public bool Ready => _current() is not null;

    /// <summary>Decides an HTTP or gRPC request (<paramref name="request"/>'s method set) or an L4 connection.</summary>
    public InboundVerdict Decide<THeaders>(in AuthorizationRequest request, in THeaders headers)
        where THeaders : IHeaderLookup
    {
        // One read: the whole request is decided by this table, whatever is swapped in meanwhile.
        if (_current() is not { } table)
        {
            return InboundVerdict.NoPolicy;
        }

        AuthorizationDecision decision;
        try
        {
            decision = AuthorizationPlanner.Decide(table, request, headers);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Fail closed: a policy that cannot be evaluated admits nobody.
            ProxyLog.AuthorizationFailed(_logger, request.PeerIdentity ?? "(plaintext)", request.Port, e.Message);
            return InboundVerdict.Denied;
        }

        // The policy that decided; for "no ALLOW rule matched", the ALLOW policies that did not admit the caller (the
        // default did not decide); for a default's verdict, "default:NAME".
        var policy = decision.Policy
            ?? (decision.Verdict == AuthorizationVerdict.NotAllowedByPolicy ? table.AllowPolicies : DefaultLabel(decision.DefaultPolicy));
        var rule = RuleLabel(decision.Rule);
        _metrics.RecordAuthorization(policy, rule, decision.Verdict, decision.Allowed);
        if (decision.Allowed)
        {
            return InboundVerdict.Allowed;
        }

        LogDenial(policy, rule, request, decision);
        return InboundVerdict.Denied;
    }

    /// <summary>An L4 connection to the app's <paramref name="port"/> (no HTTP: rules with HTTP conditions are treated as Routing says).</summary>
    public InboundVerdict DecideConnection(string? peerIdentity, int port) =>
        Decide(new AuthorizationRequest(peerIdentity, port), NoHeaders.Instance);

    private void LogDenial(string policy, string rule, in AuthorizationRequest request, AuthorizationDecision decision)
    {
        var caller = request.PeerIdentity ?? "(plaintext)";
        var now = _time.GetTimestamp();
        if (_denials.Count >= MaxDenialKeys)
        {
            // Callers come and go: forget the ones not denied for an interval (a bound, not an exact cache).
            foreach (var (key, old) in _denials)
            {
                if (_time.GetElapsedTime(Volatile.Read(ref old.LastLogged), now) > DenialLogInterval)
                {
                    _denials.TryRemove(key, out _);
                }
            }
        }

        var count = _denials.GetOrAdd((policy, rule, caller), static _ => new DenialCount { LastLogged = long.MinValue });
        long suppressed;
        lock (count)
        {
            if (count.LastLogged != long.MinValue && _time.GetElapsedTime(count.LastLogged, now) < DenialLogInterval)
            {
                count.Suppressed++;
                return;
            }

            suppressed = count.Suppressed;
            count.Suppressed = 0;
            count.LastLogged = now;
        }

        ProxyLog.Denied(_logger, caller, request.Port, request.Method ?? "(connection)", request.Path ?? "", policy, rule, decision.Reason, suppressed);
    }

    private static string DefaultLabel(string defaultPolicy) => defaultPolicy switch
    {
        DefaultInboundPolicies.AllUnauthenticated => "default:" + DefaultInboundPolicies.AllUnauthenticated,
        DefaultInboundPolicies.AllAuthenticated => "default:" + DefaultInboundPolicies.AllAuthenticated,
        DefaultInboundPolicies.SameNamespace => "default:" + DefaultInboundPolicies.SameNamespace,
        DefaultInboundPolicies.Deny => "default:" + DefaultInboundPolicies.Deny,
        _ => "default:" + defaultPolicy,
    };

    private static string RuleLabel(int? rule) => rule switch
    {
        null => "",
        >= 0 and < 32 => SmallRules[rule.Value],
        _ => rule.Value.ToString(CultureInfo.InvariantCulture),
    };

    private sealed class DenialCount
    {
        public long LastLogged;
        public long Suppressed;
    }

    /// <summary>An L4 connection's headers: none.</summary>
    private sealed class NoHeaders : IHeaderLookup
    {
        public static readonly NoHeaders Instance = new();

        public bool TryGetValue(string name, out string? value)
        {
            value = null;
            return false;
        }
    }
}
