using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// What Weft's HTTP/2 client does with a peer that tests its edges (a raw HTTP/2 server on loopback, or Kestrel), and
/// its frame writer with a transport that fails: each a finding of a review, which failed before it was mended.
/// </summary>
public sealed class Http2PeerRulesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public void AFailedWrite_GivesEachPooledBufferBackOnce()
    {
        var transport = new FailingSecondWrite();
        FrameWriter? writer = null;
        writer = new FrameWriter(transport, _ => writer!.Release(), static write => write.Execute());
        lock (writer.Gate)
        {
            writer.Append(FrameType.Ping, FrameFlags.None, 0, new byte[8]);
        }

        writer.Flush(); // the first write waits
        lock (writer.Gate)
        {
            writer.Append(FrameType.Ping, FrameFlags.None, 0, new byte[8]);
        }

        writer.Flush(); // joins the running write loop
        transport.CompleteFirst(); // the loop goes on here: the second write throws

        Assert.Equal(2, transport.Writes);
        var first = transport.Buffers[0];
        var a = ArrayPool<byte>.Shared.Rent(4096);
        var b = ArrayPool<byte>.Shared.Rent(4096);
        Assert.False(ReferenceEquals(a, first) && ReferenceEquals(b, first), "one buffer came out of the pool twice: it was returned twice");
    }

    [Fact]
    public async Task APeerThatAllowsNoStreams_FailsTheRequest_WithoutOpeningConnectionsInALoop()
    {
        var settings = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(settings, 0x3); // SETTINGS_MAX_CONCURRENT_STREAMS
        BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(2), 0);
        await using var peer = RawPeer.Start(settings, respond: null);
        using var client = Client();

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline));

        Assert.Contains("allows no HTTP/2 streams", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, peer.Connections);
    }

    [Fact]
    public async Task AnInterimResponseWithFields_IsSkipped_AndTheFinalOneArrives()
    {
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, Block((":status", "103"), ("link", "</a.css>; rel=preload")));
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders | FrameFlags.EndStream, id, Block((":status", "200"), ("x-final", "yes")));
        });
        using var client = Client();

        using var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("yes", Assert.Single(response.Headers.GetValues("x-final")));
        Assert.False(response.Headers.Contains("link"));
    }

    [Fact]
    public async Task Padding_CountsAgainstTheStreamWindow_SoAPeerCannotSendPastIt()
    {
        // 600 padded frames without data (about 150 KB of padding), then 380 KB of data: more than the 256 KB window the
        // stream was given, counting the padding; the client, reading nothing, must reset the stream (FLOW_CONTROL_ERROR).
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, Block((":status", "200")));
            var padding = new byte[256];
            padding[0] = 255;
            for (var i = 0; i < 600; i++)
            {
                await connection.SendAsync(FrameType.Data, FrameFlags.Padded, id, padding);
            }

            var chunk = new byte[16 * 1024];
            for (var sent = 0; sent < 380 * 1024; sent += chunk.Length)
            {
                await connection.SendAsync(FrameType.Data, FrameFlags.None, id, chunk);
            }
        });
        using var client = Client();

        using var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);

        await Eventually.TrueAsync(() => peer.Resets.Contains(Http2Error.FlowControlError), "the client reset the stream for its window", Deadline);
    }

    [Fact]
    public async Task UnreadResponses_DoNotHoldBackOtherStreamsOnTheConnection()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            bound = l;
            l.Protocols = HttpProtocols.Http2;
        }));
        await using var app = builder.Build();
        app.Run(context => context.Response.Body.WriteAsync(new byte[300 * 1024]).AsTask());
        await app.StartAsync();
        var port = ((IPEndPoint)bound!.EndPoint).Port;
        using var client = Client();

        // Eight responses of 300 KB nobody reads: 2.4 MB, more than the connection's window if it waited for readers.
        var held = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
        {
            held.Add(await client.SendAsync(Get(port), CancellationToken.None).WaitAsync(Deadline));
        }

        using var ninth = await client.SendAsync(Get(port), CancellationToken.None).WaitAsync(Deadline);
        var body = await ninth.Content.ReadAsByteArrayAsync().WaitAsync(Deadline);

        Assert.Equal(300 * 1024, body.Length);
        held.ForEach(r => r.Dispose());
    }

    /// <summary>RFC 9113 8.2.1 and 8.2.2: fields a response must not carry, each sent raw (our own encoder refuses most).</summary>
    public static TheoryData<string, string> MalformedFields => new()
    {
        { "x-split", "a\r\nset-cookie: evil=1" },
        { "x-lf", "a\nb" },
        { "x-cr", "a\rb" },
        { "x-nul", "a\0b" },
        { "x-leading", " a" },
        { "x-trailing", "a\t" },
        { "X-Upper", "a" },
        { "x space", "a" },
        { "x:colon", "a" },
        { "x-del\u007f", "a" },
        { "x-high\u00e9", "a" },
        { "", "a" },
        { "connection", "close" },
        { "keep-alive", "timeout=5" },
        { "proxy-connection", "keep-alive" },
        { "transfer-encoding", "chunked" },
        { "upgrade", "h2c" },
        { "te", "gzip" },
    };

    [Theory]
    [MemberData(nameof(MalformedFields))]
    public async Task AMalformedResponseField_FailsTheStream_AndNeverReachesTheCaller(string name, string value)
    {
        await using var peer = RawPeer.Start([], (connection, id) =>
            connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, [.. Block((":status", "200"), ("x-before", "ok")), .. RawField(name, value)]));
        using var client = Client();

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline));

        Assert.IsType<HttpProtocolException>(failure.InnerException);
        await Eventually.TrueAsync(() => peer.Resets.Contains(Http2Error.ProtocolError), "the client reset the stream (PROTOCOL_ERROR)", Deadline);
    }

    [Theory]
    [MemberData(nameof(MalformedFields))]
    public async Task AMalformedTrailerField_FailsTheBodyRead_AndNeverReachesTheTrailers(string name, string value)
    {
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, Block((":status", "200")));
            await connection.SendAsync(FrameType.Data, FrameFlags.None, id, "ok"u8.ToArray());
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders | FrameFlags.EndStream, id, [.. Block(("x-before", "ok")), .. RawField(name, value)]);
        });
        using var client = Client();
        using var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);
        var body = await response.Content.ReadAsStreamAsync();

        await Assert.ThrowsAsync<HttpProtocolException>(() => body.CopyToAsync(Stream.Null).WaitAsync(Deadline));

        Assert.Empty(response.TrailingHeaders);
        await Eventually.TrueAsync(() => peer.Resets.Contains(Http2Error.ProtocolError), "the client reset the stream (PROTOCOL_ERROR)", Deadline);
    }

    /// <summary>RFC 9113 8.3: a response's only pseudo-header is one :status, before every regular field, never in trailers.</summary>
    public static TheoryData<string, byte[], byte[]?> MisplacedPseudoHeaders => new()
    {
        { "a regular field first", [.. RawField("x-first", "a"), .. RawField(":status", "200")], null },
        { "a request's pseudo-header", [.. RawField(":status", "200"), .. RawField(":path", "/")], null },
        { ":status twice", [.. RawField(":status", "200"), .. RawField(":status", "204")], null },
        { "a pseudo-header in trailers", RawField(":status", "200"), RawField(":status", "200") },
    };

    [Theory]
    [MemberData(nameof(MisplacedPseudoHeaders))]
    public async Task AMisplacedPseudoHeader_FailsTheStream(string what, byte[] head, byte[]? trailers)
    {
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, head);
            if (trailers is not null)
            {
                await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders | FrameFlags.EndStream, id, trailers);
            }
        });
        using var client = Client();

        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null).WaitAsync(Deadline);
        });

        Assert.True(failure is HttpProtocolException or HttpRequestException { InnerException: HttpProtocolException }, $"{what}: {failure}");
        await Eventually.TrueAsync(() => peer.Resets.Contains(Http2Error.ProtocolError), "the client reset the stream (PROTOCOL_ERROR)", Deadline);
    }

    [Theory]
    [InlineData(10, 5)]
    [InlineData(3, 5)]
    [InlineData(5, 0)]
    public async Task AContentLengthThatDisagreesWithTheData_FailsTheBodyRead(int declared, int sent)
    {
        // RFC 9113 8.1.1: a response whose content-length is not the sum of its DATA frames' lengths is malformed.
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, Block((":status", "200"), ("content-length", declared.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            await connection.SendAsync(FrameType.Data, FrameFlags.EndStream, id, new byte[sent]);
        });
        using var client = Client();
        using var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);
        var body = await response.Content.ReadAsStreamAsync();

        await Assert.ThrowsAsync<HttpProtocolException>(() => body.CopyToAsync(Stream.Null).WaitAsync(Deadline));
    }

    [Theory]
    [InlineData("12a")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("5", "6")]
    public async Task AContentLengthThatIsNotOneNumber_FailsTheStream(params string[] values)
    {
        await using var peer = RawPeer.Start([], (connection, id) =>
            connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, [.. Block((":status", "200")), .. values.SelectMany(v => RawField("content-length", v))]));
        using var client = Client();

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline));

        Assert.IsType<HttpProtocolException>(failure.InnerException);
    }

    [Fact]
    public async Task AContentLengthThatAgreesWithTheData_IsReadWhole()
    {
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, Block((":status", "200"), ("content-length", "5")));
            await connection.SendAsync(FrameType.Data, FrameFlags.None, id, "he"u8.ToArray());
            await connection.SendAsync(FrameType.Data, FrameFlags.EndStream, id, "llo"u8.ToArray());
        });
        using var client = Client();
        using var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal("hello", await response.Content.ReadAsStringAsync().WaitAsync(Deadline));
    }

    [Theory]
    [InlineData("HEAD", "200")]
    [InlineData("GET", "204")]
    [InlineData("GET", "304")]
    public async Task AResponseWithoutContent_MayCarryAContentLength_WithoutData(string method, string status)
    {
        // RFC 9113 8.1.1: a response defined to have no content (RFC 9110 6.4.1) may carry a non-zero content-length.
        await using var peer = RawPeer.Start([], (connection, id) =>
            connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders | FrameFlags.EndStream, id, Block((":status", status), ("content-length", "42"))));
        using var client = Client();
        var request = Get(peer.Port);
        request.Method = new HttpMethod(method);

        using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(42, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync().WaitAsync(Deadline));
    }

    [Fact]
    public async Task ARequestWhoseHeadFails_DisposesItsBodysLinkedTokenSource()
    {
        var content = new TokenCapturingContent();
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await content.Started.WaitAsync(Deadline);
            await connection.SendAsync(FrameType.RstStream, FrameFlags.None, id, [0, 0, 0, Http2Error.InternalError]);
        });
        using var client = Client();
        var request = Get(peer.Port);
        request.Method = HttpMethod.Post;
        request.Content = content;

        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(request, CancellationToken.None).WaitAsync(Deadline));

        // There is no response for the caller to dispose: the stream must dispose the source it linked to the caller's token.
        await Eventually.TrueAsync(() => content.TokenSourceDisposed, "the body's linked token source was disposed", Deadline);
    }

    [Fact]
    public async Task AConnectionThatFinishesOpeningAfterTheHandlerIsDisposed_IsClosed()
    {
        var hold = new TaskCompletionSource();
        await using var peer = RawPeer.Start([], respond: null, holdSettings: hold.Task);
        var client = Client();
        var sent = client.SendAsync(Get(peer.Port), CancellationToken.None);
        await Eventually.TrueAsync(() => peer.PrefacesRead == 1, "the peer read the client's preface", Deadline);

        client.Dispose();
        hold.SetResult(); // the peer's SETTINGS now complete the opening

        await Eventually.TrueAsync(() => peer.ClosedByClient == 1, "the client closed the connection it was opening", Deadline);
        await Assert.ThrowsAnyAsync<Exception>(() => sent.WaitAsync(Deadline));
    }

    [Fact]
    public async Task ASynchronousRead_OnTheReadLoopsThread_FailsRatherThanBlockTheConnection()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = RawPeer.Start([], async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, Block((":status", "200")));
            await first.Task;
            await connection.SendAsync(FrameType.Data, FrameFlags.None, id, "he"u8.ToArray());
            await rest.Task;
            await connection.SendAsync(FrameType.Data, FrameFlags.EndStream, id, "llo"u8.ToArray());
        });
        using var client = Client();
        using var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);
        var body = await response.Content.ReadAsStreamAsync();

        // A zero-byte read waiting for the first DATA: the read loop runs its continuation inline, and that reads synchronously.
        var reads = body.ReadAsync(Memory<byte>.Empty).AsTask().ContinueWith(
            _ =>
            {
                var buffer = new byte[16];
                var taken = body.Read(buffer, 0, buffer.Length); // what is buffered is read at once
                try
                {
                    var more = body.Read(buffer, 0, buffer.Length); // nothing is: only this thread's loop could bring more
                    return (taken + more, (Exception?)null);
                }
                catch (Exception e)
                {
                    return (taken, e);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        first.SetResult();

        var (taken, failure) = await reads.WaitAsync(Deadline);
        Assert.Equal(2, taken);
        Assert.IsType<NotSupportedException>(failure);

        // The stream was left as it was, and the loop goes on: the rest is read asynchronously.
        rest.SetResult();
        using var remainder = new MemoryStream();
        await body.CopyToAsync(remainder).WaitAsync(Deadline);
        Assert.Equal("llo", System.Text.Encoding.ASCII.GetString(remainder.ToArray()));
    }

    [Fact]
    public async Task ASynchronousWrite_OnTheReadLoopsThread_FailsRatherThanBlockTheConnection()
    {
        var settings = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(settings, 0x4); // SETTINGS_INITIAL_WINDOW_SIZE
        BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(2), 4);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = RawPeer.Start(settings, async (connection, id) =>
        {
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders, id, Block((":status", "200")));
            await release.Task;
            await connection.SendAsync(FrameType.Data, FrameFlags.None, id, "x"u8.ToArray());
        });
        using var client = Client();
        var signal = new TaskCompletionSource(); // continuations inline, as the read loop runs them
        var content = new SyncWriteAfterHeadContent(signal.Task);
        var request = Get(peer.Port);
        request.Method = HttpMethod.Post;
        request.Content = content;
        using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(Deadline);
        var body = await response.Content.ReadAsStreamAsync();

        // A read waiting for the peer's DATA: the read loop runs its continuation inline, which lets the request body
        // write synchronously there, more than the peer's window of 4.
        _ = body.ReadAsync(new byte[1]).AsTask().ContinueWith(_ => signal.TrySetResult(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        release.SetResult();

        await Assert.ThrowsAsync<NotSupportedException>(() => content.Written.WaitAsync(Deadline));
        using var next = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task AConnectionClosedByUs_SendsItsGoAwayBeforeTheTransportCloses()
    {
        await using var peer = RawPeer.Start([], async (connection, id) =>
            await connection.SendAsync(FrameType.Headers, FrameFlags.EndHeaders | FrameFlags.EndStream, id, Block((":status", "200"))));
        // Each write reaches the socket 100 ms late, so a transport closed right after the GOAWAY was queued loses it.
        var client = new HttpMessageInvoker(new Http2Handler(new SocketsHttpHandler { UseProxy = false }, static async (host, port, ct) =>
            new WatchedTransport(await Weft.Proxy.Security.MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false), LateWrite)));
        using (var response = await client.SendAsync(Get(peer.Port), CancellationToken.None).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        client.Dispose(); // closes the pooled connection: a GOAWAY (NO_ERROR), then the transport

        await Eventually.TrueAsync(() => peer.GoAways.Contains(Http2Error.NoError), "the peer got a GOAWAY", Deadline);
    }

    [Fact]
    public async Task ABodyFasterThanTheTransport_WaitsForTheWrites_InsteadOfFailingTheConnection()
    {
        // The peer grants 16 MB windows, the stream's and the connection's, and the transport takes 100 ms a write: a
        // 12 MB body appended as fast as the windows allow would pass the writer's 4 MB limit, which gives the
        // connection up as a peer that stopped reading.
        var settings = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(settings, 0x4); // SETTINGS_INITIAL_WINDOW_SIZE
        BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(2), 16 * 1024 * 1024);
        await using var peer = RawPeer.Start(settings, async (connection, id) =>
        {
            var increment = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(increment, 16 * 1024 * 1024);
            await connection.SendAsync(FrameType.WindowUpdate, FrameFlags.None, 0, increment);
        });
        using var client = new HttpMessageInvoker(new Http2Handler(new SocketsHttpHandler { UseProxy = false }, static async (host, port, ct) =>
            new WatchedTransport(await Weft.Proxy.Security.MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false), LateWrite)));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{peer.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[12 * 1024 * 1024]),
        };
        using var cancel = new CancellationTokenSource();

        var sending = client.SendAsync(request, cancel.Token);

        await Eventually.TrueAsync(() => peer.DataBytes >= 12 * 1024 * 1024 || sending.IsCompleted, "the peer received the whole body", Deadline);
        Assert.False(sending.IsCompleted, sending.Exception?.ToString());
        Assert.Equal(12 * 1024 * 1024, peer.DataBytes);
        cancel.Cancel();
    }

    [Fact]
    public async Task ATransportThatNeverFinishesOpening_FailsTheRequestAfterTheConnectTimeout()
    {
        // TCP accepted, the handshake never answered: the connect callback is given a deadline, and the request fails as
        // a connection error (which the sidecar's retries treat as a connect failure).
        using var client = new HttpMessageInvoker(new Http2Handler(
            new SocketsHttpHandler { UseProxy = false },
            static async (host, port, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                throw new InvalidOperationException("unreachable");
            },
            connectTimeout: TimeSpan.FromMilliseconds(200)));

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Get(9), CancellationToken.None).WaitAsync(Deadline));

        Assert.Equal(HttpRequestError.ConnectionError, failure.HttpRequestError);
        Assert.Contains("no connection within", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExtendedConnect_IsLeftToTheInnerHandler()
    {
        // RFC 8441 (a WebSocket over HTTP/2): CONNECT with :protocol, which this client does not send.
        using var request = new HttpRequestMessage(HttpMethod.Connect, "http://127.0.0.1:9/chat")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Protocol = "websocket";

        Assert.False(Http2Handler.Handles(request));
        Assert.True(Http2Handler.Handles(Get(9)));
    }

    /// <summary>Each write reaches the socket 100 ms late.</summary>
    private static Task LateWrite(ReadOnlyMemory<byte> bytes) => Task.Delay(100);

    private static HttpMessageInvoker Client() => new(new Http2Handler(new SocketsHttpHandler { UseProxy = false }, static async (host, port, ct) =>
        await Weft.Proxy.Security.MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false)));

    private static HttpRequestMessage Get(int port) => new(HttpMethod.Get, $"http://127.0.0.1:{port}/")
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private static byte[] Block(params (string Name, string Value)[] fields)
    {
        var block = new RequestHeaders.BlockWriter();
        foreach (var (name, value) in fields)
        {
            HpackEncoder.Encode(name, value, block);
        }

        return block.WrittenSpan.ToArray();
    }

    /// <summary>A literal field without indexing (RFC 7541 6.2.2), name and value as raw Latin-1 bytes, whatever they hold.</summary>
    private static byte[] RawField(string name, string value) =>
        [0x00, (byte)name.Length, .. System.Text.Encoding.Latin1.GetBytes(name), (byte)value.Length, .. System.Text.Encoding.Latin1.GetBytes(value)];

    /// <summary>A request body that waits for the caller's token to end, keeping the token it was given.</summary>
    private sealed class TokenCapturingContent : HttpContent
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationToken _token;

        public Task Started => _started.Task;

        /// <summary>Whether the source of the token the body was copied with has been disposed (its wait handle then throws).</summary>
        public bool TokenSourceDisposed
        {
            get
            {
                try
                {
                    _ = _token.WaitHandle;
                    return false;
                }
                catch (ObjectDisposedException)
                {
                    return true;
                }
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => throw new NotSupportedException();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            _token = cancellationToken;
            _started.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A request body that waits for a signal, then writes 64 bytes synchronously where the signal's continuation runs.</summary>
    private sealed class SyncWriteAfterHeadContent(Task signal) : HttpContent
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Written => _written.Task;

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await signal.ConfigureAwait(false);
            try
            {
                stream.Write(new byte[64], 0, 64);
                _written.TrySetResult();
            }
            catch (Exception e)
            {
                _written.TrySetException(e);
                throw;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A transport whose first write completes when told and whose second throws.</summary>
    private sealed class FailingSecondWrite : Stream, IValueTaskSource
    {
        private Action<object?>? _continuation;
        private object? _state;
        private bool _done;

        public int Writes { get; private set; }

        public List<byte[]> Buffers { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get; set; }

        public void CompleteFirst()
        {
            _done = true;
            _continuation!(_state);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            System.Runtime.InteropServices.MemoryMarshal.TryGetArray(buffer, out var segment);
            Buffers.Add(segment.Array!);
            return ++Writes == 1 ? new ValueTask(this, 0) : throw new IOException("connection reset");
        }

        public void GetResult(short token)
        {
        }

        public ValueTaskSourceStatus GetStatus(short token) => _done ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            _continuation = continuation;
            _state = state;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => 0;

        public override void SetLength(long value)
        {
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
        }
    }

    /// <summary>
    /// An HTTP/2 server of a few lines on 127.0.0.1: it sends <c>settings</c>, answers each request's HEADERS with
    /// <c>respond</c> (nothing when null), and records the connections it accepted and the RST_STREAM codes it received.
    /// </summary>
    private sealed class RawPeer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentBag<Socket> _sockets = [];
        private int _connections;
        private long _dataBytes;
        private int _prefacesRead;
        private int _closedByClient;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        /// <summary>How many connections' prefaces the peer has read.</summary>
        public int PrefacesRead => Volatile.Read(ref _prefacesRead);

        /// <summary>How many connections the client closed (the peer read their end, or a reset).</summary>
        public int ClosedByClient => Volatile.Read(ref _closedByClient);

        public ConcurrentBag<int> Resets { get; } = [];

        public ConcurrentBag<int> GoAways { get; } = [];

        public long DataBytes => Interlocked.Read(ref _dataBytes);

        /// <summary>Starts the peer; with <paramref name="holdSettings"/>, each connection's SETTINGS wait for that task after the preface.</summary>
        public static RawPeer Start(byte[] settings, Func<RawConnection, int, Task>? respond, Task? holdSettings = null)
        {
            var peer = new RawPeer();
            peer._listener.Start();
            _ = peer.AcceptAsync(settings, respond, holdSettings ?? Task.CompletedTask);
            return peer;
        }

        private async Task AcceptAsync(byte[] settings, Func<RawConnection, int, Task>? respond, Task holdSettings)
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _connections);
                _sockets.Add(socket);
                _ = ServeAsync(new RawConnection(new NetworkStream(socket, ownsSocket: true)), settings, respond, holdSettings);
            }
        }

        private async Task ServeAsync(RawConnection connection, byte[] settings, Func<RawConnection, int, Task>? respond, Task holdSettings)
        {
            try
            {
                await connection.Stream.ReadExactlyAsync(new byte[24], _stop.Token); // the preface
                Interlocked.Increment(ref _prefacesRead);
                await holdSettings.WaitAsync(_stop.Token);
                await connection.SendAsync(FrameType.Settings, FrameFlags.None, 0, settings);
                var header = new byte[FrameHeader.Size];
                while (true)
                {
                    await connection.Stream.ReadExactlyAsync(header, _stop.Token);
                    var frame = FrameHeader.Read(header);
                    var payload = new byte[frame.Length];
                    await connection.Stream.ReadExactlyAsync(payload, _stop.Token);
                    if (frame.Type == FrameType.RstStream)
                    {
                        Resets.Add(BinaryPrimitives.ReadInt32BigEndian(payload));
                    }
                    else if (frame.Type == FrameType.Data)
                    {
                        Interlocked.Add(ref _dataBytes, frame.Length);
                    }
                    else if (frame.Type == FrameType.GoAway && payload.Length >= 8)
                    {
                        GoAways.Add(BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)));
                    }
                    else if (frame.Type == FrameType.Headers && respond is not null)
                    {
                        _ = respond(connection, frame.StreamId);
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
            {
                // the client or the test went away
                if (!_stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _closedByClient);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _stop.Dispose();
        }
    }

    /// <summary>One accepted connection: frames written whole, one at a time.</summary>
    private sealed class RawConnection(NetworkStream stream)
    {
        private readonly SemaphoreSlim _write = new(1, 1);

        public NetworkStream Stream { get; } = stream;

        public async Task SendAsync(FrameType type, FrameFlags flags, int streamId, byte[] payload)
        {
            var frame = new byte[FrameHeader.Size + payload.Length];
            FrameHeader.Write(frame, payload.Length, type, flags, streamId);
            payload.CopyTo(frame.AsSpan(FrameHeader.Size));
            await _write.WaitAsync();
            try
            {
                await Stream.WriteAsync(frame);
            }
            finally
            {
                _write.Release();
            }
        }
    }
}
