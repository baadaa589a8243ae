namespace Weft.Routing.Internal;

/// <summary>Route kinds in gamma-spec D1 order: when types collide on a Service port, the lowest value wins.</summary>
internal enum RouteType
{
    Grpc = 0,
    Http = 1,
    Tls = 2,
    Tcp = 3,
}
