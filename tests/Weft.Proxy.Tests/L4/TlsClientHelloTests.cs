using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Weft.Proxy.L4;

namespace Weft.Proxy.Tests.L4;

/// <summary>TLSRoute passthrough (gamma-spec K3): the SNI read from a real ClientHello without terminating TLS.</summary>
public class TlsClientHelloTests
{
    /// <summary>The first TLS record a real <see cref="SslStream"/> client sends, captured on a loopback socket.</summary>
    internal static async Task<byte[]> CaptureClientHelloAsync(string? targetHost, SslProtocols protocols = SslProtocols.None)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, cts.Token);
        using var server = await listener.AcceptAsync(cts.Token);
        await using var tls = new SslStream(new NetworkStream(client), false);
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = targetHost ?? "", EnabledSslProtocols = protocols }, cts.Token);

        var record = new List<byte>();
        var buffer = new byte[4096];
        while (record.Count < 5 || record.Count < 5 + ((record[3] << 8) | record[4]))
        {
            var n = await server.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.True(n > 0, "the client closed before sending its ClientHello");
            record.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        server.Close(); // the handshake fails on the client side; only the ClientHello matters here
        await Assert.ThrowsAnyAsync<Exception>(() => handshake);
        return [.. record.Take(5 + ((record[3] << 8) | record[4]))];
    }

    [Fact]
    public async Task SNI_is_read_from_a_real_ClientHello()
    {
        var hello = await CaptureClientHelloAsync("a.example.com");
        Assert.Equal(ClientHelloResult.Parsed, TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(hello), out var name));
        Assert.Equal("a.example.com", name);
    }

    [Fact]
    public async Task SNI_is_lower_cased_without_a_trailing_dot()
    {
        var hello = await CaptureClientHelloAsync("Mixed.Example.COM");
        TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(hello), out var name);
        Assert.Equal("mixed.example.com", name);
    }

    [Fact]
    public async Task A_ClientHello_without_SNI_is_parsed_with_no_server_name()
    {
        // SslStream sends no server_name for an IP literal target (RFC 6066: names only).
        var hello = await CaptureClientHelloAsync("127.0.0.1");
        Assert.Equal(ClientHelloResult.Parsed, TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(hello), out var name));
        Assert.Null(name);
    }

    [Fact]
    public async Task A_truncated_ClientHello_needs_more_at_every_length_short_of_the_record()
    {
        var hello = await CaptureClientHelloAsync("b.example.com");
        foreach (var length in new[] { 1, 4, 5, 6, 40, hello.Length - 1 })
        {
            Assert.Equal(ClientHelloResult.NeedMore, TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(hello, 0, length), out var name));
            Assert.Null(name);
        }
    }

    [Fact]
    public void An_empty_buffer_needs_more()
    {
        Assert.Equal(ClientHelloResult.NeedMore, TlsClientHello.TryReadServerName(ReadOnlySequence<byte>.Empty, out _));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("\u0017\u0003\u0003\u0000\u0001x")] // application data record, not a handshake
    [InlineData("\u0016\u0009\u0001\u0000\u0001x")] // handshake type byte but not TLS 3.x
    public void Bytes_that_are_not_a_TLS_handshake_are_not_a_ClientHello(string text)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(text);
        Assert.Equal(ClientHelloResult.NotClientHello, TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(bytes), out var name));
        Assert.Null(name);
    }

    [Fact]
    public void A_handshake_record_holding_garbage_is_not_a_ClientHello()
    {
        byte[] record = [0x16, 0x03, 0x01, 0x00, 0x06, 0x02, 0x00, 0x00, 0x02, 0xff, 0xff]; // ServerHello type, cut short
        Assert.Equal(ClientHelloResult.NotClientHello, TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(record), out _));
        byte[] cut = [0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x50]; // ClientHello header, body missing
        Assert.Equal(ClientHelloResult.NotClientHello, TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(cut), out _));
    }

    [Fact]
    public async Task A_ClientHello_whose_server_name_extension_is_corrupt_is_not_a_ClientHello_and_never_throws()
    {
        var hello = await CaptureClientHelloAsync("c.example.com");
        var random = new Random(42);
        for (var i = 0; i < 500; i++)
        {
            var copy = (byte[])hello.Clone();
            copy[5 + random.Next(copy.Length - 5)] = (byte)random.Next(256);
            var result = TlsClientHello.TryReadServerName(new ReadOnlySequence<byte>(copy), out _);
            Assert.True(Enum.IsDefined(result));
        }
    }
}
