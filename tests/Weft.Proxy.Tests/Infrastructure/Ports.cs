using System.Net;
using System.Net.Sockets;

namespace Weft.Proxy.Tests.Infrastructure;

/// <summary>Ports on 127.0.0.1 for tests.</summary>
internal static class Ports
{
    /// <summary>A port the OS just handed out and nobody listens on now: a connection to it is refused.</summary>
    public static int Closed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
