using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// Weft's own HTTP/2 client against Kestrel's HTTP/2 server (h2c, prior knowledge): each test a rule of RFC 9113 or a
/// promise of <see cref="HttpMessageHandler"/> that YARP relies on.
/// </summary>
public sealed class Http2HandlerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ManyConcurrentRequests_OpenMoreConnections_WhenThePeersStreamLimitIsReached()
    {
        var connections = 0;
        await using var server = await H2Server.StartAsync(
            context => context.Response.WriteAsync("ok " + context.Request.Path),
            maxStreams: 10,
            onConnection: () => Interlocked.Increment(ref connections));
        using var client = Client(out _);

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var response = await client.SendAsync(Get(server, "/" + i), CancellationToken.None);
            Assert.Equal(HttpVersion.Version20, response.Version);
            return (i, await response.Content.ReadAsStringAsync());
        }));

        Assert.All(answers, a => Assert.Equal("ok /" + a.i, a.Item2));
        Assert.InRange(Volatile.Read(ref connections), 2, 200);
    }

    [Fact]
    public async Task FinishedStreams_GiveTheirSlotsBack_SoOneConnectionServesRequestAfterRequest()
    {
        var connections = 0;
        await using var server = await H2Server.StartAsync(
            async context =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                await context.Response.WriteAsync("ok");
            },
            maxStreams: 2,
            onConnection: () => Interlocked.Increment(ref connections));
        using var client = Client(out _);

        for (var i = 0; i < 10; i++)
        {
            // A request without a body (END_STREAM on its HEADERS), and one with (END_STREAM on its last DATA frame).
            using (var get = await client.SendAsync(Get(server, "/"), CancellationToken.None))
            {
                Assert.Equal("ok", await get.Content.ReadAsStringAsync());
            }

            using var post = await client.SendAsync(Post(server, "/", new StringContent("body")), CancellationToken.None);
            Assert.Equal("ok", await post.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, Volatile.Read(ref connections));
    }

    [Fact]
    public async Task LargeBodies_FlowBothWays_WithinTheWindows()
    {
        await using var server = await H2Server.StartAsync(async context =>
        {
            // An echo that starts answering before it has read everything: both windows are used at once.
            context.Response.ContentType = "application/octet-stream";
            await context.Request.Body.CopyToAsync(context.Response.Body);
        });
        using var client = Client(out _);
        var body = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(body);

        var request = Post(server, "/echo", new ByteArrayContent(body));
        using var response = await client.SendAsync(request, CancellationToken.None);
        var received = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(body, received);
    }

    [Fact]
    public async Task Trailers_ReachTrailingHeaders_AfterTheBody()
    {
        await using var server = await H2Server.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.DeclareTrailer("grpc-status");
            await context.Response.WriteAsync("payload");
            context.Response.AppendTrailer("grpc-status", "7");
            context.Response.AppendTrailer("grpc-message", "denied");
        });
        using var client = Client(out _);

        using var response = await client.SendAsync(Get(server, "/"), CancellationToken.None);
        Assert.Equal("payload", await response.Content.ReadAsStringAsync());

        Assert.Equal("7", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Equal("denied", Assert.Single(response.TrailingHeaders.GetValues("grpc-message")));
    }

    [Fact]
    public async Task FullDuplex_TheResponseStreams_WhileTheRequestBodyIsStillBeingSent()
    {
        await using var server = await H2Server.StartAsync(async context =>
        {
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync(); // the head goes out before any of the request body is read
            var buffer = new byte[64];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read));
                await context.Response.Body.FlushAsync();
            }
        });
        using var client = Client(out _);
        var pipe = new System.IO.Pipelines.Pipe();
        var request = Post(server, "/duplex", new StreamContent(pipe.Reader.AsStream()));

        using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(Deadline);
        var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        foreach (var word in new[] { "one", "two", "three" })
        {
            await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(word));
            var read = await body.ReadAsync(buffer).AsTask().WaitAsync(Deadline);
            Assert.Equal(word, Encoding.ASCII.GetString(buffer, 0, read));
        }

        await pipe.Writer.CompleteAsync();
        Assert.Equal(0, await body.ReadAsync(buffer).AsTask().WaitAsync(Deadline));
    }

    [Fact]
    public async Task AStreamResetByThePeer_FailsItsBody_AndLeavesTheConnectionUsable()
    {
        await using var server = await H2Server.StartAsync(async context =>
        {
            if (context.Request.Path == "/reset")
            {
                await context.Response.WriteAsync("partial");
                await context.Response.Body.FlushAsync();
                context.Features.Get<IHttpResetFeature>()!.Reset(Http2Error.InternalError);
                return;
            }

            await context.Response.WriteAsync("fine");
        });
        using var client = Client(out _);

        using var response = await client.SendAsync(Get(server, "/reset"), CancellationToken.None);
        var body = await response.Content.ReadAsStreamAsync();
        var failure = await Assert.ThrowsAsync<HttpProtocolException>(() => body.CopyToAsync(Stream.Null).WaitAsync(Deadline));
        Assert.Equal(Http2Error.InternalError, failure.ErrorCode);

        using var next = await client.SendAsync(Get(server, "/"), CancellationToken.None);
        Assert.Equal("fine", await next.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ACancelledRequest_ResetsItsStream_AndThePeerSeesItAborted()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await H2Server.StartAsync(async context =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
            }
        });
        using var client = Client(out _);
        using var cts = new CancellationTokenSource();

        var pending = client.SendAsync(Get(server, "/hang"), cts.Token);
        await Eventually.TrueAsync(() => server.Requests >= 1, "the request reached the server", Deadline);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await aborted.Task.WaitAsync(Deadline);
    }

    [Fact]
    public async Task AResponseDisposedBeforeItsEnd_ResetsTheStream_AndGivesTheWindowBack()
    {
        var ended = 0;
        await using var server = await H2Server.StartAsync(async context =>
        {
            // 16 MB against a 256 KB stream window the client never opens further: only a reset ends this (Kestrel then
            // drops the writes), so a handler that returns is a reset that arrived.
            try
            {
                var chunk = new byte[16 * 1024];
                for (var i = 0; i < 1000; i++)
                {
                    await context.Response.Body.WriteAsync(chunk);
                }
            }
            finally
            {
                Interlocked.Increment(ref ended);
            }
        });
        using var client = Client(out _);

        // More streams than one connection's window could hold if nothing were credited back on disposal.
        for (var i = 0; i < 20; i++)
        {
            var response = await client.SendAsync(Get(server, "/big"), CancellationToken.None).WaitAsync(Deadline);
            var body = await response.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[100]) > 0);
            response.Dispose();
        }

        await Eventually.TrueAsync(() => Volatile.Read(ref ended) == 20, "every reset stream ended its handler", Deadline);
        using var last = await client.SendAsync(Get(server, "/big"), CancellationToken.None).WaitAsync(Deadline);
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
    }

    [Fact]
    public async Task HeaderBlocksLargerThanAFrame_AreSentAndReadAsContinuations()
    {
        var big = new string('v', 40_000);
        await using var server = await H2Server.StartAsync(context =>
        {
            context.Response.Headers["x-back"] = context.Request.Headers["x-big"].ToString().Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["x-large"] = big;
            return Task.CompletedTask;
        }, maxRequestHeaders: 128 * 1024);
        using var client = Client(out _);
        var request = Get(server, "/");
        request.Headers.TryAddWithoutValidation("X-Big", big);

        using var response = await client.SendAsync(request, CancellationToken.None);

        Assert.Equal("40000", Assert.Single(response.Headers.GetValues("x-back")));
        Assert.Equal(big, Assert.Single(response.Headers.GetValues("x-large")));
    }

    [Fact]
    public async Task RequestHeaders_ArriveAsSent_WithoutConnectionSpecificOnes()
    {
        await using var server = await H2Server.StartAsync(context =>
        {
            var seen = string.Join("\n", context.Request.Headers.Select(h => $"{h.Key.ToLowerInvariant()}={h.Value}"));
            return context.Response.WriteAsync($"{context.Request.Method} {context.Request.Host} {context.Request.Path}{context.Request.QueryString}\n{seen}");
        });
        using var client = Client(out _);
        var request = new HttpRequestMessage(HttpMethod.Delete, $"http://127.0.0.1:{server.Port}/a%20b/c?x=1&y=%2F")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "svc.example:8080";
        request.Headers.TryAddWithoutValidation("X-Mixed-Case", "Value One");
        request.Headers.TryAddWithoutValidation("Connection", "keep-alive");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer secret");

        using var response = await client.SendAsync(request, CancellationToken.None);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');

        Assert.Equal("DELETE svc.example:8080 /a%20b/c?x=1&y=%2F", lines[0]);
        Assert.Contains("host=svc.example:8080", lines);
        Assert.Contains("x-mixed-case=Value One", lines);
        Assert.Contains("te=trailers", lines);
        Assert.Contains("authorization=Bearer secret", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("connection=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AServerThatGoesAway_IsReplacedByANewConnection()
    {
        await using var server = await H2Server.StartAsync(context => context.Response.WriteAsync("ok"));
        using var client = Client(out _);
        using (var first = await client.SendAsync(Get(server, "/"), CancellationToken.None))
        {
            Assert.Equal("ok", await first.Content.ReadAsStringAsync());
        }

        // Kestrel says GOAWAY and closes; the pool must not hand out the closed connection, and a request that crossed
        // the GOAWAY (not processed) goes again on a new one.
        server.CloseConnections();

        using var second = await client.SendAsync(Get(server, "/"), CancellationToken.None).WaitAsync(Deadline);
        Assert.Equal("ok", await second.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task NothingListening_IsAConnectionError()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using var client = Client(out _);
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, CancellationToken.None).WaitAsync(Deadline));

        Assert.Equal(HttpRequestError.ConnectionError, failure.HttpRequestError);
        Assert.NotNull(Weft.Proxy.Forwarding.ForwardFailure.Unwrap<SocketException>(failure));
    }

    [Fact]
    public async Task RequestsThatMayBeHttp11_GoToTheInnerHandler()
    {
        await using var server = await H2Server.StartAsync(context => context.Response.WriteAsync(context.Request.Protocol), http1Too: true);
        using var client = Client(out var inner);

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), CancellationToken.None);

        Assert.Equal("HTTP/1.1", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, inner.Calls);
    }

    private static HttpMessageInvoker Client(out CountingHandler inner)
    {
        inner = new CountingHandler(new SocketsHttpHandler { UseProxy = false });
        return new HttpMessageInvoker(new Http2Handler(inner, static async (host, port, ct) =>
            await Weft.Proxy.Security.MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false)));
    }

    private static HttpRequestMessage Get(H2Server server, string path) => new(HttpMethod.Get, $"http://127.0.0.1:{server.Port}{path}")
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private static HttpRequestMessage Post(H2Server server, string path, HttpContent content) => new(HttpMethod.Post, $"http://127.0.0.1:{server.Port}{path}")
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Content = content,
    };

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
