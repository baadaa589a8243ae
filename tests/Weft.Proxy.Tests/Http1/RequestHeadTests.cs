using System.Text;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// The fast path's request grammar (RequestHead.Parse): what it forwards itself (Ready), what it waits for (NeedMore),
/// and everything it leaves to Kestrel and YARP (Unsupported).
/// </summary>
public sealed class RequestHeadTests
{
    private const string Simple = "GET /path?q=1 HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 8080\r\nAccept: */*\r\n\r\n";

    [Fact]
    public void Origin_form_GET_with_Host_and_weft_dst_port_is_ready()
    {
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes(Simple)));
        Assert.Equal(8080, head.DestinationPort);
        Assert.Equal(Simple.Length, head.Length);
        Assert.Equal("GET /path?q=1 HTTP/1.1".Length, head.RequestLineLength);
        Assert.Equal(0, head.ContentLength);
        Assert.False(head.Close);
        Assert.False(head.IsHead);
    }

    [Fact]
    public void Weft_dst_port_and_Connection_lines_are_dropped_and_the_rest_kept_in_order()
    {
        var data = Bytes("GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 8080\r\nX-Case: MiXeD\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n");
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(data));
        Assert.Equal(
            [("Host: echo", false), ("weft-dst-port: 8080", true), ("X-Case: MiXeD", false), ("Connection: keep-alive", true), ("Accept: */*", false)],
            Lines(head, data));
    }

    [Fact]
    public void Missing_weft_dst_port_is_ready_with_port_zero()
    {
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes("GET / HTTP/1.1\r\nHost: echo\r\n\r\n")));
        Assert.Equal(0, head.DestinationPort);
    }

    [Theory]
    [InlineData("Content-Length: 5", 5)]
    [InlineData("Content-Length: 0", 0)]
    [InlineData("content-length:1048576", 1048576)]
    [InlineData("Content-Length: \t 12 \t", 12)]
    [InlineData("Content-Length: 007", 7)]
    [InlineData("Content-Length: 999999999999999999", 999999999999999999)]
    public void Content_length_is_parsed(string line, long expected)
    {
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes($"POST /upload HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n{line}\r\n\r\nhello")));
        Assert.Equal(expected, head.ContentLength);
    }

    [Fact]
    public void Length_counts_the_head_through_its_blank_line_and_not_the_body()
    {
        const string Head = "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 5\r\n\r\n";
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes(Head + "helloGET / HTTP/1.1\r\n")));
        Assert.Equal(Head.Length, head.Length);
    }

    [Theory]
    [InlineData("Connection: close", true)]
    [InlineData("Connection: Close", true)]
    [InlineData("CONNECTION: keep-alive, close", true)]
    [InlineData("Connection: keep-alive", false)]
    [InlineData("Connection: Keep-Alive", false)]
    [InlineData("X-Other: close", false)]
    public void Connection_close_ends_the_client_connection_after_the_exchange(string line, bool close)
    {
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes($"GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n{line}\r\n\r\n")));
        Assert.Equal(close, head.Close);
    }

    [Theory]
    [InlineData("HEAD", true)]
    [InlineData("GET", false)]
    [InlineData("head", false)] // methods are case-sensitive (RFC 9110 9.1): "head" is an unknown extension method
    [InlineData("POST", false)]
    public void HEAD_sets_IsHead(string method, bool isHead)
    {
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes($"{method} / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")));
        Assert.Equal(isHead, head.IsHead);
    }

    [Theory]
    [InlineData("weft-dst-port: 1", 1)]
    [InlineData("weft-dst-port: 65535", 65535)]
    [InlineData("WEFT-DST-PORT: 8080", 8080)]
    [InlineData("Weft-Dst-Port:\t3000 ", 3000)]
    public void Weft_dst_port_is_a_port_number_under_any_name_case(string line, int port)
    {
        var head = new RequestHead();

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes($"GET / HTTP/1.1\r\nHost: echo\r\n{line}\r\n\r\n")));
        Assert.Equal(port, head.DestinationPort);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET / HTTP/1.1")]
    [InlineData("GET / HTTP/1.1\r\nHost: echo\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: echo\r\n\r")]
    public void A_head_without_its_blank_line_needs_more(string text)
    {
        Assert.Equal(HeadStatus.NeedMore, new RequestHead().Parse(Bytes(text)));
    }

    [Theory]
    [InlineData("HTTP/1.0", "GET / HTTP/1.0\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("HTTP/2.0 in a request line", "GET / HTTP/2.0\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("lower-case version", "GET / http/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("absolute-form target", "GET http://echo/ HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("asterisk-form target", "OPTIONS * HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("authority-form target", "CONNECT echo:80 HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("two spaces after the method", "GET  / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("space inside the target", "GET /a b HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("non-token method", "G@T / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("empty line before the request line", "\r\nGET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("non-ASCII in the target", "GET /caf\u00e9 HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("control character in the target", "GET /a\u0001 HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("no Host", "GET / HTTP/1.1\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("no header at all", "GET / HTTP/1.1\r\n\r\n")]
    [InlineData("two Hosts", "GET / HTTP/1.1\r\nHost: echo\r\nHost: other\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("two identical Hosts", "GET / HTTP/1.1\r\nHost: echo\r\nhost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("two Content-Lengths", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")]
    [InlineData("Content-Length with a plus sign", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: +1\r\n\r\nx")]
    [InlineData("Content-Length with a minus sign", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: -1\r\n\r\nx")]
    [InlineData("Content-Length with an inner space", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 1 2\r\n\r\nx")]
    [InlineData("Content-Length list", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 1, 1\r\n\r\nx")]
    [InlineData("Content-Length with letters", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 1a\r\n\r\nx")]
    [InlineData("Content-Length in hex", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 0x10\r\n\r\nx")]
    [InlineData("empty Content-Length", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length:\r\n\r\nx")]
    [InlineData("Content-Length of 19 digits", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 1000000000000000000\r\n\r\nx")]
    [InlineData("Transfer-Encoding", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("Transfer-Encoding beside Content-Length", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("Upgrade", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nUpgrade: websocket\r\n\r\n")]
    [InlineData("Expect", "POST / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData("TE", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nTE: trailers\r\n\r\n")]
    [InlineData("Trailer", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nTrailer: x-checksum\r\n\r\n")]
    [InlineData("Keep-Alive", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nKeep-Alive: timeout=5\r\n\r\n")]
    [InlineData("Proxy-Connection", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nProxy-Connection: keep-alive\r\n\r\n")]
    [InlineData("Connection: upgrade", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nConnection: upgrade\r\n\r\n")]
    [InlineData("Connection naming another header", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n\r\n")]
    [InlineData("space before the colon", "GET / HTTP/1.1\r\nHost : echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("tab before the colon", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port\t: 80\r\n\r\n")]
    [InlineData("empty header name", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\n: x\r\n\r\n")]
    [InlineData("header line without a colon", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nX-A\r\n\r\n")]
    [InlineData("obs-fold line (space)", "GET / HTTP/1.1\r\nHost: echo\r\nX-A: 1\r\n continued\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("obs-fold line (tab)", "GET / HTTP/1.1\r\nHost: echo\r\nX-A: 1\r\n\tcontinued: x\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("bare LF between headers", "GET / HTTP/1.1\r\nHost: echo\nX-A: 1\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("bare LF after the request line", "GET / HTTP/1.1\nHost: echo\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("bare CR in a value", "GET / HTTP/1.1\r\nHost: echo\r\nX-A: 1\r2\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("NUL in a value", "GET / HTTP/1.1\r\nHost: echo\r\nX-A: a\u0000b\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("control character in a value", "GET / HTTP/1.1\r\nHost: echo\r\nX-A: a\u0001b\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("DEL in a value", "GET / HTTP/1.1\r\nHost: echo\r\nX-A: a\u007fb\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("non-token header name", "GET / HTTP/1.1\r\nHost: echo\r\nX(A): 1\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("two weft-dst-ports", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80\r\nweft-dst-port: 80\r\n\r\n")]
    [InlineData("weft-dst-port 0", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 0\r\n\r\n")]
    [InlineData("weft-dst-port 65536", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 65536\r\n\r\n")]
    [InlineData("weft-dst-port x", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: x\r\n\r\n")]
    [InlineData("weft-dst-port -1", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: -1\r\n\r\n")]
    [InlineData("empty weft-dst-port", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port:\r\n\r\n")]
    [InlineData("weft-dst-port list", "GET / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 80, 81\r\n\r\n")]
    public void Requests_outside_the_strict_grammar_are_unsupported(string rule, string text)
    {
        Assert.True(HeadStatus.Unsupported == new RequestHead().Parse(Bytes(text)), rule);
    }

    [Fact]
    public void More_than_100_header_lines_is_unsupported()
    {
        var many = string.Concat(Enumerable.Range(0, 99).Select(i => $"X-{i}: {i}\r\n"));
        var atLimit = $"GET / HTTP/1.1\r\nHost: echo\r\n{many}\r\n";
        var overLimit = $"GET / HTTP/1.1\r\nHost: echo\r\n{many}X-Last: 1\r\n\r\n";

        Assert.Equal(HeadStatus.Ready, new RequestHead().Parse(Bytes(atLimit)));
        Assert.Equal(HeadStatus.Unsupported, new RequestHead().Parse(Bytes(overLimit)));
    }

    [Fact]
    public void A_head_reused_for_the_next_request_keeps_nothing_of_the_previous_one()
    {
        var head = new RequestHead();
        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes("HEAD / HTTP/1.1\r\nHost: echo\r\nweft-dst-port: 81\r\nContent-Length: 3\r\nConnection: close\r\nX-A: 1\r\n\r\n")));

        Assert.Equal(HeadStatus.Ready, head.Parse(Bytes("GET / HTTP/1.1\r\nHost: echo\r\n\r\n")));

        Assert.False(head.IsHead);
        Assert.False(head.Close);
        Assert.Equal(0, head.ContentLength);
        Assert.Equal(0, head.DestinationPort);
        Assert.Equal(1, head.HeaderCount);
    }

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static (string Line, bool Drop)[] Lines(RequestHead head, byte[] data) =>
        [.. head.Headers.Take(head.HeaderCount).Select(h => (Encoding.Latin1.GetString(data, h.Start, h.Length), h.Drop))];
}
