using Microsoft.AspNetCore.Connections;
using Weft.Proxy.LoadBalancing;
using Weft.Proxy.Metrics;

namespace Weft.Proxy.Http1;

/// <summary>A pooled upstream connection's identity: where it goes, and the peer identity its mTLS proved (null: plaintext).</summary>
internal readonly record struct UpstreamKey(string Address, int Port, string? Identity);

/// <summary>Where one fast-path request goes and how it is accounted for.</summary>
/// <param name="Key">The upstream connection to use.</param>
/// <param name="DestinationPort">Sent as <c>weft-dst-port</c> (the endpoint's target port, to its sidecar); 0 sends none.</param>
/// <param name="Labels">The request's metric labels.</param>
/// <param name="Load">The endpoint's outstanding-request counter (power of two choices), if any.</param>
/// <param name="Backend">How a forwarding failure names the backend in the log.</param>
internal readonly record struct RelayTarget(UpstreamKey Key, int DestinationPort, RequestLabels Labels, EndpointLoad? Load, string Backend)
{
    /// <summary>The request's span when it is traced (<see cref="Http1Route.Tracing"/>): its <c>traceparent</c> goes upstream.</summary>
    public Tracing.TraceSpan? Span { get; init; }
}

/// <summary>
/// What differs between the listeners that use <see cref="Http1Relay"/>: which requests it takes and where they go.
/// A route says no (false) to anything it does not handle exactly as the full Kestrel/YARP path would, and the
/// connection is handed to that path, the request still unread.
/// </summary>
internal abstract class Http1Route
{
    /// <summary>Whether absolute-form targets are accepted (the outbound listener is an HTTP proxy).</summary>
    public abstract bool AbsoluteForm { get; }

    /// <summary>The asynchronous part of the decision (e.g. the destination's policy); the head bytes are not available here.</summary>
    public abstract ValueTask<bool> PrepareAsync(ConnectionContext connection, RelayExchange exchange, CancellationToken ct);

    /// <summary>Decides where the request in <paramref name="head"/> goes; false hands it off.</summary>
    public abstract bool TryDecide(ReadOnlySpan<byte> head, RelayExchange exchange, out RelayTarget target);

    /// <summary>
    /// The <c>weft-src-workload</c> line (CRLF included) sent with every request to a peer sidecar (a target with a
    /// <see cref="RelayTarget.DestinationPort"/>); empty sends none.
    /// </summary>
    public virtual ReadOnlySpan<byte> SourceWorkloadLine => [];

    /// <summary>The listener's part in trace context (null: tracing off, nothing looked at).</summary>
    public Tracing.HttpTracer? Tracing { get; init; }

    /// <summary>
    /// Called when the parsed request in <paramref name="exchange"/> is handed on to Kestrel (<see cref="TryDecide"/> or
    /// <see cref="PrepareAsync"/> said no): what the route decided that the full path must decide the same way goes into
    /// the connection's features.
    /// </summary>
    public virtual void HandingOn(ConnectionContext connection, RelayExchange exchange)
    {
    }

    /// <summary>Counts a finished request (metrics, admin stats, taps); <paramref name="exchange"/> still holds what was sent.</summary>
    public abstract void Record(in RelayTarget target, RelayExchange exchange, int status, TimeSpan elapsed);
}
