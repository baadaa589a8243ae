using Microsoft.AspNetCore.Http.Features;

namespace Weft.Proxy.Outbound;

/// <summary>
/// The random draw the HTTP/1.1 fast path (<see cref="OutboundHttp1Route"/>) planned a request with, carried as a
/// connection feature when it hands that request on to <see cref="OutboundHandler"/>, which plans it again with the same
/// draw. The fast path hands on exactly the requests whose weighted pick (gamma-spec F2) it cannot serve itself (a
/// backend with filters, an invalid one, an HTTP/2 one): planned again with a new draw, such a backend would lose part
/// of its share to the plain ones (with a 50/50 split, 25% instead of 50%). The same draw picks the same backend, so each
/// backend keeps its weight whichever path forwards it.
/// </summary>
internal sealed class HandedOnDraw
{
    private readonly double _draw;
    private int _taken;

    private HandedOnDraw(double draw) => _draw = draw;

    /// <summary>Records <paramref name="draw"/> for the next request the connection's Kestrel path plans.</summary>
    public static void Carry(IFeatureCollection connection, double draw) => connection.Set(new HandedOnDraw(draw));

    /// <summary>The draw the handed-on request was planned with (taken once), else a new one.</summary>
    public static double Take(IFeatureCollection features) =>
        features.Get<HandedOnDraw>() is { } carried && Interlocked.Exchange(ref carried._taken, 1) == 0 ? carried._draw : Random.Shared.NextDouble();
}
