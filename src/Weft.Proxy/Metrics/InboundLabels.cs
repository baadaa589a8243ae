using System.Collections.Concurrent;
using System.Globalization;
using Weft.Routing;

namespace Weft.Proxy.Metrics;

/// <summary>
/// The labels of inbound requests, by app port and caller: the caller's namespace and SPIFFE ID from its verified mTLS
/// certificate (none in plaintext), and its workload from <see cref="Weft.Routing.MeshWire.SourceWorkloadHeader"/> when
/// that header is believed (<see cref="TrustedWorkload"/>). Label sets are made once and looked up without allocating
/// (the fast path hands the header's characters); at most <see cref="ProxyMetrics.MaxSeries"/> are kept, after which a
/// new caller is labelled with its port alone and a known caller's new workload is left out. A caller (port and SPIFFE
/// ID) is believed for at most <see cref="MaxWorkloadsPerCaller"/> workload names: one caller claiming made-up names
/// cannot fill the bound that every other series shares; its further names are labelled with its identity and no workload.
/// </summary>
internal sealed class InboundLabels(int limit = ProxyMetrics.DefaultMaxSeries)
{
    /// <summary>The longest header value believed: a namespace (63) and a workload name (253) and the slash.</summary>
    public const int MaxHeaderLength = 63 + 1 + 253;

    /// <summary>The most workload names believed from one caller (a service account serves a few workloads at most).</summary>
    public const int MaxWorkloadsPerCaller = 4;

    private readonly ConcurrentDictionary<(int Port, string? Peer), Caller> _callers = new();
    private int _count;

    /// <summary>The labels of a request to an app port from a caller.</summary>
    /// <param name="port">The app's port.</param>
    /// <param name="peerIdentity">The caller's verified SPIFFE ID; null in plaintext.</param>
    /// <param name="claimed">The <see cref="Weft.Routing.MeshWire.SourceWorkloadHeader"/> value the request carried; empty when none.</param>
    public RequestLabels For(int port, string? peerIdentity, ReadOnlySpan<char> claimed)
    {
        if (!_callers.TryGetValue((port, peerIdentity), out var caller))
        {
            if (Volatile.Read(ref _count) >= limit)
            {
                return Base(port, null);
            }

            caller = _callers.GetOrAdd((port, peerIdentity), static key => new Caller(Base(key.Port, key.Peer)));
            Interlocked.Increment(ref _count);
        }

        var workload = TrustedWorkloadIn(caller.Anonymous.PeerNamespace, claimed);
        if (workload.IsEmpty)
        {
            return caller.Anonymous;
        }

        var lookup = caller.ByWorkload.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(workload, out var labels))
        {
            return labels;
        }

        if (Volatile.Read(ref _count) >= limit || !caller.TryClaim())
        {
            return caller.Anonymous;
        }

        Interlocked.Increment(ref _count);
        var name = workload.ToString();
        return caller.ByWorkload.GetOrAdd(name, caller.Anonymous with { PeerWorkload = name });
    }

    /// <summary>
    /// The workload in a claimed <c>namespace/workload</c> when it is believed: the caller proved a SPIFFE ID in that
    /// namespace, and the workload is a valid object name (lower-case DNS-1123). Anything else (plaintext, another
    /// namespace, a malformed value) is empty: not believed.
    /// </summary>
    public static ReadOnlySpan<char> TrustedWorkload(string? peerIdentity, ReadOnlySpan<char> claimed) =>
        TrustedWorkloadIn(NamespaceSpan(peerIdentity), claimed);

    /// <summary>
    /// <see cref="TrustedWorkload"/> given the namespace the caller proved (empty: none): <see cref="For"/> passes the one
    /// its <see cref="Caller"/> read from the SPIFFE ID once, not again per request.
    /// </summary>
    private static ReadOnlySpan<char> TrustedWorkloadIn(ReadOnlySpan<char> provenNamespace, ReadOnlySpan<char> claimed)
    {
        var slash = claimed.IndexOf('/');
        if (slash <= 0 || claimed.Length > MaxHeaderLength || !claimed[..slash].SequenceEqual(provenNamespace))
        {
            return [];
        }

        var workload = claimed[(slash + 1)..];
        return WorkloadName.IsObjectName(workload) ? workload : [];
    }

    /// <summary>The namespace of a workload SPIFFE ID, <c>spiffe://TD/ns/NS/sa/SA</c>; null for anything else.</summary>
    public static string? NamespaceOf(string? identity) => NamespaceSpan(identity) is { IsEmpty: false } ns ? ns.ToString() : null;

    /// <summary>The namespace of a workload SPIFFE ID as a slice of it, without allocating; empty for anything else.</summary>
    private static ReadOnlySpan<char> NamespaceSpan(string? identity)
    {
        const string Marker = "/ns/";
        if (identity is null || !identity.StartsWith(Weft.Discovery.Identity.SpiffeId.Scheme, StringComparison.Ordinal))
        {
            return [];
        }

        var at = identity.IndexOf(Marker, Weft.Discovery.Identity.SpiffeId.Scheme.Length, StringComparison.Ordinal);
        var end = at < 0 ? -1 : identity.IndexOf("/sa/", at + Marker.Length, StringComparison.Ordinal);
        return end < 0 ? [] : identity.AsSpan()[(at + Marker.Length)..end];
    }

    /// <summary>The labels of a caller whose workload is not known (L4 connections carry no workload header).</summary>
    public static RequestLabels Base(int port, string? peer) => new(
        RequestLabels.Inbound, "", "", port.ToString(CultureInfo.InvariantCulture), "", "", "", "", "", NamespaceOf(peer) ?? "", "", peer ?? "");

    private sealed class Caller(RequestLabels anonymous)
    {
        public readonly RequestLabels Anonymous = anonymous;
        public readonly ConcurrentDictionary<string, RequestLabels> ByWorkload = new(StringComparer.Ordinal);

        private int _claimed;

        /// <summary>Takes one of this caller's <see cref="MaxWorkloadsPerCaller"/> workload names; false when none is left.</summary>
        public bool TryClaim()
        {
            int claimed;
            do
            {
                claimed = Volatile.Read(ref _claimed);
                if (claimed >= MaxWorkloadsPerCaller)
                {
                    return false;
                }
            }
            while (Interlocked.CompareExchange(ref _claimed, claimed + 1, claimed) != claimed);

            return true;
        }
    }
}
