using System.Net;
using System.Net.Sockets;
using Weft.Proxy.Http1;
using Weft.Proxy.Tests.Infrastructure;

namespace Weft.Proxy.Tests.Http1;

public sealed class UpstreamPoolTests
{
    [Fact]
    public async Task The_sweep_closes_an_idle_connection_its_other_end_closed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var pool = new UpstreamPool();
        var key = new UpstreamKey("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, null);
        var upstream = await pool.ConnectAsync(key, CancellationToken.None);
        using (var accepted = await listener.AcceptSocketAsync())
        {
            pool.Return(upstream);
            pool.Sweep();
            Assert.Equal(1, pool.IdleCount(key)); // open at both ends: kept
        }

        await Eventually.TrueAsync(() =>
        {
            pool.Sweep();
            return pool.IdleCount(key) == 0;
        }, "the closed connection is swept");
        Assert.Null(pool.TryRent(key));
    }
}
