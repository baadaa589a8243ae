using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using Weft.Proxy.L4;

namespace Weft.Proxy.Tests.L4;

/// <summary>Outbound protocol detection (issue 4): HTTP/1.1, the HTTP/2 preface, TLS, else opaque; bounded wait.</summary>
public class ProtocolDetectorTests
{
    private static DetectedProtocol Detect(string text) => ProtocolDetector.Detect(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)));

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("POST /x HTTP/1.1\r\n")]
    [InlineData("M-SEARCH * HTTP/1.1\r\n")]
    [InlineData("GET ")]
    public void An_HTTP_1_request_line_is_Http1(string text) => Assert.Equal(DetectedProtocol.Http1, Detect(text));

    [Fact]
    public void The_HTTP_2_preface_is_Http2_and_a_prefix_of_it_needs_more()
    {
        Assert.Equal(DetectedProtocol.Http2, Detect("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        Assert.Equal(DetectedProtocol.NeedMore, Detect("PRI * HTTP/2.0\r\n"));
        Assert.Equal(DetectedProtocol.NeedMore, Detect("P"));
    }

    [Fact]
    public async Task A_real_ClientHello_is_Tls()
    {
        var hello = await TlsClientHelloTests.CaptureClientHelloAsync("a.example.com");
        Assert.Equal(DetectedProtocol.Tls, ProtocolDetector.Detect(new ReadOnlySequence<byte>(hello)));
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("get / http/1.1\r\n")]
    [InlineData(" GET / HTTP/1.1")]
    [InlineData("\u0000\u0001\u0002")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ")]
    public void Anything_else_is_Opaque(string text) => Assert.Equal(DetectedProtocol.Opaque, Detect(text));

    [Theory]
    [InlineData("")]
    [InlineData("GE")]
    [InlineData("OPTIONS")]
    public void A_possible_method_token_without_its_space_needs_more(string text) => Assert.Equal(DetectedProtocol.NeedMore, Detect(text));

    [Fact]
    public async Task A_silent_client_is_Opaque_after_the_bound_and_nothing_is_consumed()
    {
        var pipe = new Pipe();
        var clock = Stopwatch.StartNew();
        var detected = await ProtocolDetector.DetectAsync(pipe.Reader, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        Assert.Equal(DetectedProtocol.Opaque, detected);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(90), TimeSpan.FromSeconds(10));

        // Bytes that arrive later are all still there for whoever serves the connection.
        await pipe.Writer.WriteAsync("220 smtp ready\r\n"u8.ToArray());
        var result = await pipe.Reader.ReadAsync();
        Assert.Equal("220 smtp ready\r\n", Encoding.ASCII.GetString(result.Buffer));
    }

    [Fact]
    public async Task Detection_across_several_writes_peeks_without_consuming()
    {
        var pipe = new Pipe();
        var detecting = ProtocolDetector.DetectAsync(pipe.Reader, TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        await pipe.Writer.WriteAsync("GE"u8.ToArray());
        Assert.False(detecting.IsCompleted);
        await pipe.Writer.WriteAsync("T /x HTTP/1.1\r\n"u8.ToArray());
        Assert.Equal(DetectedProtocol.Http1, await detecting);
        var result = await pipe.Reader.ReadAsync();
        Assert.Equal("GET /x HTTP/1.1\r\n", Encoding.ASCII.GetString(result.Buffer));
    }

    [Fact]
    public async Task A_client_that_closes_before_deciding_is_Opaque()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("GE"u8.ToArray());
        await pipe.Writer.CompleteAsync();
        Assert.Equal(DetectedProtocol.Opaque, await ProtocolDetector.DetectAsync(pipe.Reader, TimeSpan.FromSeconds(30), CancellationToken.None));
    }
}
