using System.Text;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// How the fast path reads the app's response head (ResponseHead.Parse): the body's framing (RFC 9112 6.3), whether the
/// app connection can carry another request, and which lines reach the client.
/// </summary>
public sealed class ResponseHeadTests
{
    [Fact]
    public void Content_length_frames_the_body_and_keeps_the_connection()
    {
        const string Head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n";
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes(Head + "hello"), requestWasHead: false));
        Assert.Equal(200, response.Status);
        Assert.Equal(BodyFraming.Length, response.Framing);
        Assert.Equal(5, response.ContentLength);
        Assert.False(response.UpstreamCloses);
        Assert.Equal(Head.Length, response.Length);
        Assert.Equal("HTTP/1.1 200 OK".Length, response.StatusLineLength);
    }

    [Fact]
    public void Chunked_frames_the_body_and_keeps_the_connection()
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), requestWasHead: false));
        Assert.Equal(BodyFraming.Chunked, response.Framing);
        Assert.False(response.UpstreamCloses);
    }

    [Theory]
    [InlineData("Transfer-Encoding: gzip, chunked")]
    [InlineData("Transfer-Encoding: Chunked")]
    [InlineData("transfer-encoding:chunked ")]
    public void Chunked_as_the_final_coding_frames_the_body(string line)
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes($"HTTP/1.1 200 OK\r\n{line}\r\n\r\n"), requestWasHead: false));
        Assert.Equal(BodyFraming.Chunked, response.Framing);
    }

    [Fact]
    public void Chunked_as_the_final_coding_on_a_second_Transfer_Encoding_line_frames_the_body()
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"), requestWasHead: false));
        Assert.Equal(BodyFraming.Chunked, response.Framing);
    }

    [Fact]
    public void Transfer_encoding_overrides_content_length_which_is_dropped_and_the_app_connection_closed()
    {
        var data = Bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\nX-App: 1\r\n\r\n");
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(data, requestWasHead: false));
        Assert.Equal(BodyFraming.Chunked, response.Framing);
        Assert.True(response.UpstreamCloses); // RFC 9112 6.3: such a message may be a smuggling attempt; the connection is not reused
        Assert.Equal(["Transfer-Encoding: chunked", "X-App: 1"], Kept(response, data));
    }

    [Theory]
    [InlineData("Transfer-Encoding: gzip")]
    [InlineData("Transfer-Encoding: chunked, gzip")]
    public void A_final_coding_other_than_chunked_runs_until_close(string line)
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes($"HTTP/1.1 200 OK\r\n{line}\r\n\r\n"), requestWasHead: false));
        Assert.Equal(BodyFraming.UntilClose, response.Framing);
        Assert.True(response.UpstreamCloses);
    }

    [Fact]
    public void No_length_runs_until_close()
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome"), requestWasHead: false));
        Assert.Equal(BodyFraming.UntilClose, response.Framing);
        Assert.True(response.UpstreamCloses);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", false)]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n", false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", false)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", false)]
    [InlineData("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", false)]
    public void HEAD_204_304_and_1xx_have_no_body(string head, bool requestWasHead)
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes(head), requestWasHead));
        Assert.Equal(BodyFraming.None, response.Framing);
        Assert.False(response.UpstreamCloses);
    }

    [Fact]
    public void A_HEAD_response_without_a_length_keeps_the_connection()
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes("HTTP/1.1 200 OK\r\n\r\n"), requestWasHead: true));
        Assert.Equal(BodyFraming.None, response.Framing);
        Assert.False(response.UpstreamCloses);
    }

    [Theory]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=5\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, close\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", false)]
    public void An_HTTP_1_0_response_closes_the_app_connection_unless_it_says_keep_alive(string head, bool closes)
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes(head), requestWasHead: false));
        Assert.Equal(BodyFraming.Length, response.Framing);
        Assert.Equal(closes, response.UpstreamCloses);
    }

    [Theory]
    [InlineData("Connection: close")]
    [InlineData("connection: CLOSE")]
    [InlineData("Connection: keep-alive, close")]
    public void Connection_close_closes_the_app_connection_and_is_not_passed_on(string line)
    {
        var data = Bytes($"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n{line}\r\nX-App: 1\r\n\r\n");
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(data, requestWasHead: false));
        Assert.True(response.UpstreamCloses);
        Assert.Equal(["Content-Length: 2", "X-App: 1"], Kept(response, data));
    }

    [Fact]
    public void Keep_alive_and_proxy_connection_lines_are_not_passed_on()
    {
        var data = Bytes("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 2\r\nConnection: keep-alive\r\nProxy-Connection: keep-alive\r\nX-App: 1\r\n\r\n");
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(data, requestWasHead: false));
        Assert.False(response.UpstreamCloses);
        Assert.Equal(["Content-Length: 2", "X-App: 1"], Kept(response, data));
    }

    [Fact]
    public void Headers_named_in_Connection_are_not_passed_on()
    {
        var data = Bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: x-hop\r\nX-Hop: 1\r\nX-App: 1\r\n\r\n");
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(data, requestWasHead: false));
        Assert.Equal(["Content-Length: 2", "X-App: 1"], Kept(response, data));
    }

    [Theory]
    [InlineData("Content-Length: 2\r\nContent-Length: 3")]
    [InlineData("Content-Length: 2\r\ncontent-length: 20")]
    [InlineData("Content-Length: 2, 3")]
    [InlineData("Content-Length: 2, 2")]
    [InlineData("Content-Length: -2")]
    [InlineData("Content-Length: 2x")]
    [InlineData("Content-Length:")]
    [InlineData("Content-Length: 1000000000000000000")]
    public void Conflicting_or_malformed_content_lengths_are_unsupported(string lines)
    {
        Assert.Equal(HeadStatus.Unsupported, new ResponseHead().Parse(Bytes($"HTTP/1.1 200 OK\r\n{lines}\r\n\r\nxx"), requestWasHead: false));
    }

    [Fact]
    public void An_identical_duplicate_content_length_is_sent_once()
    {
        var data = Bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-App: 1\r\nContent-Length: 2\r\n\r\nok");
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(data, requestWasHead: false));
        Assert.Equal(BodyFraming.Length, response.Framing);
        Assert.Equal(2, response.ContentLength);
        Assert.Equal([("Content-Length: 2", false), ("X-App: 1", false), ("Content-Length: 2", true)], Lines(response, data));
    }

    [Theory]
    [InlineData("HTTP/1.1 200")]
    [InlineData("HTTP/1.1 200 ")]
    [InlineData("HTTP/1.0 404 Not Found")]
    [InlineData("HTTP/1.1 599 Whatever It Says")]
    public void A_well_formed_status_line_is_ready(string line)
    {
        var response = new ResponseHead();

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes($"{line}\r\nContent-Length: 0\r\n\r\n"), requestWasHead: false));
        Assert.Equal(int.Parse(line.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture), response.Status);
    }

    [Theory]
    [InlineData("HTTP/1.1 20 OK")]
    [InlineData("HTTP/1.1 2000 OK")]
    [InlineData("HTTP/1.1 200OK")]
    [InlineData("HTTP/1.1  200 OK")]
    [InlineData("HTTP/1.1 abc OK")]
    [InlineData("HTTP/1.1 099 Low")]
    [InlineData("HTTP/1.2 200 OK")]
    [InlineData("HTTP/2 200 OK")]
    [InlineData("HTTP/2.0 200 OK")]
    [InlineData("http/1.1 200 OK")]
    [InlineData("ICY 200 OK")]
    [InlineData("HTTP/1.1")]
    [InlineData("")]
    [InlineData("hello")]
    public void A_malformed_status_line_is_unsupported(string line)
    {
        Assert.Equal(HeadStatus.Unsupported, new ResponseHead().Parse(Bytes($"{line}\r\nContent-Length: 0\r\n\r\n"), requestWasHead: false));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\nX-Injected: 1")]
    [InlineData("HTTP/1.1 200 O\rK")]
    [InlineData("HTTP/1.1 200 O\u0000K")]
    [InlineData("HTTP/1.1 200 O\u0001K")]
    [InlineData("HTTP/1.1 200 O\u007fK")]
    public void A_control_character_in_the_reason_phrase_is_unsupported(string line)
    {
        // RFC 9112 4: reason-phrase = *( HTAB / SP / VCHAR / obs-text ); the status line is passed on to the client.
        Assert.Equal(HeadStatus.Unsupported, new ResponseHead().Parse(Bytes($"{line}\r\nContent-Length: 0\r\n\r\n"), requestWasHead: false));
    }

    [Theory]
    [InlineData("X-A : 1")]
    [InlineData(" X-A: 1")]
    [InlineData("X-A: 1\nX-B: 2")]
    [InlineData("X-A: a\u0001b")]
    [InlineData("X-A")]
    [InlineData("Upgrade: websocket")]
    public void A_malformed_or_upgrading_header_line_is_unsupported(string line)
    {
        Assert.Equal(HeadStatus.Unsupported, new ResponseHead().Parse(Bytes($"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n{line}\r\n\r\n"), requestWasHead: false));
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP/1.1 200 OK\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r")]
    public void A_head_without_its_blank_line_needs_more(string text)
    {
        Assert.Equal(HeadStatus.NeedMore, new ResponseHead().Parse(Bytes(text), requestWasHead: false));
    }

    [Fact]
    public void A_head_reused_for_the_next_response_keeps_nothing_of_the_previous_one()
    {
        var response = new ResponseHead();
        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes("HTTP/1.1 200 OK\r\nConnection: close\r\nX-A: 1\r\nX-B: 2\r\n\r\n"), requestWasHead: false));

        Assert.Equal(HeadStatus.Ready, response.Parse(Bytes("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"), requestWasHead: false));

        Assert.Equal(201, response.Status);
        Assert.Equal(BodyFraming.Length, response.Framing);
        Assert.Equal(0, response.ContentLength);
        Assert.False(response.UpstreamCloses);
        Assert.Equal(1, response.HeaderCount);
    }

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static (string Line, bool Drop)[] Lines(ResponseHead head, byte[] data) =>
        [.. head.Headers.Take(head.HeaderCount).Select(h => (Encoding.Latin1.GetString(data, h.Start, h.Length), h.Drop))];

    private static string[] Kept(ResponseHead head, byte[] data) => [.. Lines(head, data).Where(l => !l.Drop).Select(l => l.Line)];
}
