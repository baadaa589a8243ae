using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Http.Features;
using Weft.Proxy.Discovery;

namespace Weft.Proxy.Outbound;

/// <summary>
/// A discovery look-up of a connection's destination that failed in a layer that does not answer it, carried as a
/// connection feature to the one that does (issue 15): the L4 path (<see cref="L4.L4Proxy"/>) and the HTTP/1.1 fast path
/// (<see cref="OutboundHttp1Route"/>) hand such a request on to <see cref="OutboundHandler"/>, which answers 503 with the
/// reason from this failure instead of asking discovery again. So a request costs one look-up, and a destination refused
/// for the subscription limit is refused, and counted by the discovery client, once.
/// </summary>
internal sealed class DestinationLookup
{
    private readonly string _host;
    private readonly int _port;
    private readonly Exception _error;
    private int _taken;

    private DestinationLookup(string host, int port, Exception error) => (_host, _port, _error) = (host, port, error);

    /// <summary>Records, for the next layer, that looking up host:port failed with <paramref name="error"/>.</summary>
    public static void Failed(IFeatureCollection connection, string host, int port, Exception error) =>
        connection.Set(new DestinationLookup(host, port, error));

    /// <summary>Whether a failed look-up of host:port waits for the layer that answers it.</summary>
    public static bool Pending(IFeatureCollection features, string host, int port) =>
        features.Get<DestinationLookup>() is { } lookup && lookup.For(host, port) && Volatile.Read(ref lookup._taken) == 0;

    /// <summary>
    /// The route table for host:port: the failure carried here for this request (thrown again, once), else the answer
    /// of <paramref name="destinations"/>.
    /// </summary>
    public static ValueTask<RouteTable?> GetAsync(IFeatureCollection features, IDestinationSource destinations, string host, int port, CancellationToken ct)
    {
        if (features.Get<DestinationLookup>() is { } lookup && lookup.For(host, port) && Interlocked.Exchange(ref lookup._taken, 1) == 0)
        {
            ExceptionDispatchInfo.Throw(lookup._error);
        }

        return destinations.GetAsync(host, port, ct);
    }

    private bool For(string host, int port) => port == _port && string.Equals(host, _host, StringComparison.Ordinal);
}
