using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Tests.Shared;

namespace Weft.Proxy.Tests.Http1;

/// <summary>Issue 15: a client that resets its connection has ended it, which is normal; nothing logs it as a fault.</summary>
public sealed class ClientResetTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_that_resets_mid_request_leaves_no_error_or_warning_line(bool fastPath)
    {
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("served"));
        await using var sidecar = await Sidecar.StartAsync(options => options with { Http1FastPath = fastPath });
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(sidecar.Inbound);

        // One whole exchange, so the connection is being served (by the fast path when it is on), then half a head and a reset.
        await socket.SendAsync(Encoding.ASCII.GetBytes(Sidecar.Get(app.Port)));
        var buffer = new byte[4096];
        var received = new StringBuilder();
        while (!received.ToString().EndsWith("served", StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(buffer);
            Assert.True(n > 0, "the proxy answered before closing");
            received.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }

        var before = sidecar.Logs.Lines.Count; // Kestrel's start-up lines (a warning about its protocols among them) are not this test's
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: app\r\nweft-dst-port: " + app.Port.ToString(CultureInfo.InvariantCulture)));
        socket.LingerState = new LingerOption(true, 0);
        socket.Close(); // RST, not FIN

        await Eventually.TrueAsync(
            () => sidecar.MetricsAsync().Result.Contains("weft_listener_connections{listener=\"inbound\"} 0\n", StringComparison.Ordinal), "the connection ended");
        Assert.DoesNotContain(sidecar.Logs.Lines.Skip(before), l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal)
            || l.StartsWith("Critical", StringComparison.Ordinal));
    }
}
