using System.Net;
using System.Text;
using Weft.Proxy.L4;

namespace Weft.Proxy.Tests.L4;

/// <summary>The PROXY v1 line that opens an opaque tunnel and names the destination app port.</summary>
public class ProxyProtocolHeaderTests
{
    [Theory]
    [InlineData("PROXY TCP4 127.0.0.1 127.0.0.2 40000 9000\r\n", 9000)]
    [InlineData("PROXY TCP6 ::1 ::1 1 65535\r\n", 65535)]
    [InlineData("PROXY TCP4 0.0.0.0 127.9.2.1 0 1", 1)]
    public void A_valid_line_gives_its_destination_port(string line, int port)
    {
        Assert.True(ProxyProtocolHeader.TryParse(Encoding.ASCII.GetBytes(line), out var parsed));
        Assert.Equal(port, parsed);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY TCP4 127.0.0.1 127.0.0.2 40000\r\n")]
    [InlineData("PROXY TCP4 127.0.0.1 127.0.0.2 40000 0\r\n")]
    [InlineData("PROXY TCP4 127.0.0.1 127.0.0.2 40000 65536\r\n")]
    [InlineData("PROXY TCP4 127.0.0.1 127.0.0.2 40000 -1\r\n")]
    [InlineData("PROXY TCP4 127.0.0.1 127.0.0.2 40000 80 extra\r\n")]
    [InlineData("PROXY UDP4 127.0.0.1 127.0.0.2 40000 80\r\n")]
    [InlineData("proxy TCP4 127.0.0.1 127.0.0.2 40000 80\r\n")]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("")]
    public void A_malformed_line_is_rejected(string line) => Assert.False(ProxyProtocolHeader.TryParse(Encoding.ASCII.GetBytes(line), out _));

    [Fact]
    public void Format_round_trips_through_TryParse()
    {
        var line = ProxyProtocolHeader.Format(new IPEndPoint(IPAddress.Parse("127.1.2.3"), 5555), "127.4.5.6", 8080);
        Assert.Equal("PROXY TCP4 127.1.2.3 127.4.5.6 5555 8080\r\n", Encoding.ASCII.GetString(line));
        Assert.True(line.Length <= ProxyProtocolHeader.MaxLength);
        Assert.True(ProxyProtocolHeader.TryParse(line, out var port));
        Assert.Equal(8080, port);
    }

    [Fact]
    public async Task ReadAsync_consumes_exactly_the_line_and_leaves_the_payload()
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes("PROXY TCP4 127.0.0.1 127.0.0.2 1 9000\r\nhello"));
        Assert.Equal(9000, await ProxyProtocolHeader.ReadAsync(stream, CancellationToken.None));
        Assert.Equal("hello", await new StreamReader(stream).ReadToEndAsync());
    }

    [Fact]
    public async Task ReadAsync_rejects_a_line_longer_than_107_bytes_without_reading_past_it()
    {
        var tooLong = "PROXY TCP4 " + new string('1', 120) + " 127.0.0.2 1 9000\r\n";
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(tooLong));
        Assert.Null(await ProxyProtocolHeader.ReadAsync(stream, CancellationToken.None));
        Assert.Equal(ProxyProtocolHeader.MaxLength, stream.Position);
    }

    [Theory]
    [InlineData("PROXY TCP4 127.0.0.1 127.0.0.2 1 9000")] // no line end before the stream ends
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("PROXY TCP4 garbage\r\n")]
    public async Task ReadAsync_returns_null_for_a_missing_or_malformed_line(string text)
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(text));
        Assert.Null(await ProxyProtocolHeader.ReadAsync(stream, CancellationToken.None));
    }
}
