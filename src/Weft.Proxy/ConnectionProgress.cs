using Microsoft.AspNetCore.Connections;

namespace Weft.Proxy;

/// <summary>
/// How far a connection has got, as its <see cref="ListenerGuard"/> needs to know to shed it when the listener is full
/// (issue 15): a connection feature set by the guard, moved on by whatever serves the connection. It has
/// <see cref="Served"/> nothing yet (still in its TLS handshake, its protocol sniff, or reading its first request head),
/// has a request in flight (<see cref="RequestStarted"/> to <see cref="RequestEnded"/>), sits idle between requests, or
/// is a tunnel (<see cref="Tunnelled"/>: an established CONNECT, a captured or opaque TCP stream), which counts as a
/// request in flight for the rest of its life. A connection with anything in flight is never shed.
/// </summary>
/// <remarks>
/// One integer carries it all: the requests in flight, or a large negative number once the guard has claimed the
/// connection for shedding. The claim is a compare-and-swap from zero, so a connection is never claimed while a request
/// or a tunnel is counted; a request that starts after the claim finds the connection already closing. Per request this
/// costs two uncontended interlocked operations on a field of the connection's own: no lock, no shared state.
/// </remarks>
internal sealed class ConnectionProgress(ConnectionContext connection)
{
    private const int Claimed = int.MinValue / 2;

    private int _inFlight;
    private volatile bool _served;

    /// <summary>Whether a request on this connection has ended (a keep-alive connection that has been useful).</summary>
    public bool Served => _served;

    /// <summary>Whether the guard claimed the connection and closed it to admit a newer one.</summary>
    public bool Shed => Volatile.Read(ref _inFlight) < 0;

    /// <summary>Where the connection sits in its guard's accept order; the guard's to set and clear, under its lock.</summary>
    internal LinkedListNode<ConnectionProgress>? Node { get; set; }

    /// <summary>A request's head has arrived whole: the connection is mid-request until <see cref="RequestEnded"/>.</summary>
    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    /// <summary>The request is answered (or failed): the connection has been useful, and is idle unless another is in flight.</summary>
    public void RequestEnded()
    {
        _served = true;
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>The request was handed on to another layer that will start it again (the fast path to Kestrel): nothing served.</summary>
    public void RequestHandedOn() => Interlocked.Decrement(ref _inFlight);

    /// <summary>The connection is a tunnel now, for the rest of its life: never shed.</summary>
    public void Tunnelled() => Interlocked.Increment(ref _inFlight);

    /// <summary>Claims the connection for shedding if nothing is in flight on it; the caller then <see cref="Close"/>s it.</summary>
    internal bool TryClaim() => Interlocked.CompareExchange(ref _inFlight, Claimed, 0) == 0;

    /// <summary>Closes a claimed connection: its reads end, and so does whatever was waiting on them.</summary>
    internal void Close() => connection.Abort(new ConnectionAbortedException("shed: the listener is full and this connection had not sent a request"));
}
