using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Tests.Infrastructure;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.Grpc;

/// <summary>
/// gRPC through a real sidecar, on the wire format itself (length-prefixed messages over h2c, status in trailers), so the
/// test needs no gRPC library: HTTP/2 end to end, bidi streaming, trailers, deadlines and the proxy's own answers.
/// </summary>
public sealed class GrpcTests
{
    private static DestinationPolicy GrpcService(params BackendPolicy[] backends) => Policies.Service("grpc", 9000) with
    {
        Protocol = PolicyProtocol.Grpc,
        View = PolicyView.Producer,
        Rules =
        [
            Policies.Rule(new MatchPolicy { GrpcType = "Exact", GrpcService = "test.Stream" }, null, backends) with
            {
                Origin = new RuleOrigin { RouteKind = "GRPCRoute", RouteNamespace = "default", RouteName = "grpc", RuleIndex = 0, MatchIndex = 0 },
            },
        ],
    };

    private static BackendPolicy H2(TestBackend backend) => Policies.Backend(backend) with { AppProtocol = "http2" };

    private static byte[] Frame(string message)
    {
        var payload = Encoding.UTF8.GetBytes(message);
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static async Task<string?> ReadFrameAsync(Stream stream)
    {
        var head = new byte[5];
        if (await stream.ReadAtLeastAsync(head, 5, throwOnEndOfStream: false) < 5)
        {
            return null;
        }

        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(1))];
        await stream.ReadExactlyAsync(payload);
        return Encoding.UTF8.GetString(payload);
    }

    /// <summary>Echoes each message as it arrives ("echo:" + message), then OK with a custom trailer.</summary>
    private static async Task BidiEcho(HttpContext context, int _)
    {
        context.Response.ContentType = "application/grpc";
        await context.Response.StartAsync();
        while (await ReadFrameAsync(context.Request.Body) is { } message)
        {
            await context.Response.Body.WriteAsync(Frame("echo:" + message));
            await context.Response.Body.FlushAsync();
        }

        context.Response.AppendTrailer("grpc-status", "0");
        context.Response.AppendTrailer("x-trailer", "kept");
    }

    private static HttpRequestMessage Call(string method, HttpContent? content = null, string? timeout = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"http://grpc:9000/test.Stream/{method}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content ?? new ByteArrayContent(Frame("hello")),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        if (timeout is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-timeout", timeout);
        }

        return request;
    }

    [Fact]
    public async Task A_bidi_stream_flows_both_ways_over_HTTP2_and_its_trailers_pass_through()
    {
        await using var backend = await TestBackend.StartAsync("grpc", h2c: true);
        backend.Handler = BidiEcho;
        await using var mesh = await TestMesh.StartAsync(("grpc:9000", GrpcService(H2(backend))));
        var client = mesh.TunnelClient("grpc:9000");

        var upload = new Pipe();
        // As a gRPC client does, the first message goes out before the response head is awaited (a proxy, YARP included,
        // sends the head on with the first bytes of the body).
        var sending = client.SendAsync(Call("Bidi", new FlushingContent(upload.Reader)), HttpCompletionOption.ResponseHeadersRead);
        await upload.Writer.WriteAsync(Frame("m0"));
        var response = await sending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var download = await response.Content.ReadAsStreamAsync();
        for (var i = 0; i < 3; i++)
        {
            // Each answer is read before the next message is sent: a proxy that buffered either direction would hang here.
            if (i > 0)
            {
                await upload.Writer.WriteAsync(Frame($"m{i}"));
            }

            Assert.Equal($"echo:m{i}", await ReadFrameAsync(download).WaitAsync(TimeSpan.FromSeconds(10)));
        }

        await upload.Writer.CompleteAsync();
        Assert.Null(await ReadFrameAsync(download).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal("kept", response.TrailingHeaders.GetValues("x-trailer").Single());
        Assert.Equal("HTTP/2", backend.Protocols.Single());
    }

    [Fact]
    public async Task An_HTTP1_client_reaches_an_http2_backend_over_HTTP2()
    {
        await using var backend = await TestBackend.StartAsync("h2", h2c: true);
        await using var mesh = await TestMesh.StartAsync(("h2:80", Policies.Service("h2", 80, [Policies.Rule(backends: H2(backend))])));

        var (response, echo) = await mesh.GetAsync("http://h2/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("h2", echo!.Backend);
        Assert.Equal("HTTP/2", backend.Protocols.Single());
    }

    [Fact]
    public async Task A_unary_call_without_content_length_is_retried_on_a_retryable_grpc_status()
    {
        await using var backend = await TestBackend.StartAsync("grpc", h2c: true);
        var bodies = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        backend.Handler = async (context, attempt) =>
        {
            bodies.Enqueue(await ReadFrameAsync(context.Request.Body));
            context.Response.ContentType = "application/grpc";
            if (attempt == 1)
            {
                context.Response.Headers["grpc-status"] = "14"; // UNAVAILABLE, trailers-only
                return;
            }

            await context.Response.Body.WriteAsync(Frame("ok"));
            context.Response.AppendTrailer("grpc-status", "0");
        };
        var service = GrpcService(H2(backend));
        service = service with
        {
            Rules = [service.Rules[0] with { Retry = new RetryPolicy { Attempts = 2, GrpcCodes = [14], Backoff = TimeSpan.FromMilliseconds(1) } }],
        };
        await using var mesh = await TestMesh.StartAsync(("grpc:9000", service));

        // As gRPC clients do: no Content-Length, the single message then the end of the stream.
        var upload = new Pipe();
        await upload.Writer.WriteAsync(Frame("hello"));
        await upload.Writer.CompleteAsync();
        var response = await mesh.TunnelClient("grpc:9000").SendAsync(Call("Unary", new FlushingContent(upload.Reader)));
        var reply = await ReadFrameAsync(await response.Content.ReadAsStreamAsync());

        Assert.Equal("ok", reply);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal(["hello", "hello"], bodies); // the retry resent the buffered message
    }

    [Fact]
    public async Task An_expired_grpc_timeout_is_DEADLINE_EXCEEDED()
    {
        await using var backend = await TestBackend.StartAsync("grpc", h2c: true);
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.Handler = async (context, _) =>
        {
            seen.TrySetResult(context.Request.Headers["grpc-timeout"].ToString());
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        };
        await using var mesh = await TestMesh.StartAsync(("grpc:9000", GrpcService(H2(backend))));

        // Two seconds: time enough on a loaded machine for the call to reach the backend before its deadline.
        var response = await mesh.TunnelClient("grpc:9000").SendAsync(Call("Slow", timeout: "2S"));
        await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("4", response.Headers.GetValues("grpc-status").Single()); // DEADLINE_EXCEEDED, trailers-only
        var seenTimeout = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the call reached the backend
        Assert.NotEqual("", seenTimeout); // with the time left
        Assert.True(Routing.Resilience.GrpcTimeout.Parse(seenTimeout) <= TimeSpan.FromSeconds(2), seenTimeout);
    }

    [Fact]
    public async Task An_invalid_backends_share_is_UNAVAILABLE_never_an_HTTP_error()
    {
        var invalid = new BackendPolicy { Namespace = "default", Name = "missing", Port = 9000, Invalid = "BackendNotFound" };
        await using var mesh = await TestMesh.StartAsync(("grpc:9000", GrpcService(invalid)));

        var response = await mesh.TunnelClient("grpc:9000").SendAsync(Call("Any"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("14", response.Headers.GetValues("grpc-status").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_method_no_rule_matches_is_UNIMPLEMENTED()
    {
        await using var mesh = await TestMesh.StartAsync(("grpc:9000", GrpcService()));

        var request = Call("Any");
        request.RequestUri = new Uri("http://grpc:9000/other.Service/Any");
        var response = await mesh.TunnelClient("grpc:9000").SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("12", response.Headers.GetValues("grpc-status").Single());
    }

    /// <summary>A streamed request body flushed message by message (StreamContent leaves HTTP/2 data frames buffered).</summary>
    private sealed class FlushingContent(PipeReader source) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            while (true)
            {
                var result = await source.ReadAsync();
                foreach (var segment in result.Buffer)
                {
                    await stream.WriteAsync(segment);
                }

                await stream.FlushAsync();
                source.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
