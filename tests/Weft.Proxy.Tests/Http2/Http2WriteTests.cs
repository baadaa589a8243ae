using System.Net;
using System.Net.Http;
using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>How Weft's HTTP/2 client puts a request's frames on the wire: as few writes (TLS records, syscalls) as it can.</summary>
public sealed class Http2WriteTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ARequestWhoseBodyIsAtHand_GoesOutInOneWrite_HeadersDataAndItsEnd()
    {
        await using var server = await H2Server.StartAsync(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.StatusCode = 200;
        });
        var writes = new WriteLog();
        using var client = new HttpMessageInvoker(new Http2Handler(new SocketsHttpHandler { UseProxy = false }, async (host, port, ct) =>
            new WatchedTransport(await Weft.Proxy.Security.MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false), writes.Add)));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[100]),
        };

        using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var write = Assert.Single(writes.Frames(), w => w.Any(f => f.Type == FrameType.Headers && f.StreamId == 1));
        Assert.Equal(
            [(FrameType.Headers, false), (FrameType.Data, false), (FrameType.Data, true)],
            write.Where(f => f.StreamId == 1).Select(f => (f.Type, f.Has(FrameFlags.EndStream))));
    }

    [Fact]
    public async Task ARequestWhoseBodyIsNotAtHand_SendsItsHeadersAtOnce()
    {
        // The server answers before reading the body, which the client sends only after the response head: the HEADERS
        // must not wait for the body.
        await using var server = await H2Server.StartAsync(async context =>
        {
            context.Response.StatusCode = 200;
            await context.Response.Body.FlushAsync(); // the head goes out
            await context.Request.Body.CopyToAsync(Stream.Null);
        });
        using var client = new HttpMessageInvoker(new Http2Handler(new SocketsHttpHandler { UseProxy = false }, static async (host, port, ct) =>
            await Weft.Proxy.Security.MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false)));
        var body = new HeldContent();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = body,
        };

        using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(Deadline);
        body.Release.TrySetResult();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ABodyWrittenSynchronously_PastThePeersWindow_IsNotHeldBehindItsOwnCork()
    {
        // A body whose first (synchronous) write is larger than the windows: it must wait for a WINDOW_UPDATE, which the
        // peer sends only for a stream whose HEADERS and DATA it has received, so those go out before the wait.
        await using var server = await H2Server.StartAsync(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.StatusCode = 200;
        });
        using var client = new HttpMessageInvoker(new Http2Handler(new SocketsHttpHandler { UseProxy = false }, static async (host, port, ct) =>
            await Weft.Proxy.Security.MeshConnector.ConnectTcpAsync(host, port, ct).ConfigureAwait(false)));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new SynchronousContent(new byte[3 * 1024 * 1024]),
        };

        using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void FramesAppendedBeforeTheScheduledWriteRuns_ShareIt()
    {
        var scheduled = new List<IThreadPoolWorkItem>();
        var writes = new WriteLog();
        var writer = new FrameWriter(new WatchedTransport(Stream.Null, writes.Add), e => throw e, scheduled.Add);

        // Three senders (the requests of a burst, on their own threads in a sidecar) append and flush before the write
        // runs: one write is scheduled, and it carries all three.
        for (var id = 1; id <= 5; id += 2)
        {
            lock (writer.Gate)
            {
                writer.Append(FrameType.Headers, FrameFlags.EndHeaders | FrameFlags.EndStream, id, [0x82]);
            }

            writer.Flush();
        }

        var write = Assert.Single(scheduled);
        write.Execute();

        Assert.Equal([1, 3, 5], Assert.Single(writes.Frames()).Select(f => f.StreamId));

        // Once it has written, the next frame schedules a write of its own.
        lock (writer.Gate)
        {
            writer.Append(FrameType.Headers, FrameFlags.EndHeaders | FrameFlags.EndStream, 7, [0x82]);
        }

        writer.Flush();
        Assert.Equal(2, scheduled.Count);
        scheduled[1].Execute();
        Assert.Equal([7], writes.Frames()[1].Select(f => f.StreamId));
    }

    /// <summary>A body written with one synchronous <see cref="Stream.Write(byte[], int, int)"/>.</summary>
    private sealed class SynchronousContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            stream.Write(body, 0, body.Length);
            return Task.CompletedTask;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    /// <summary>A body whose bytes come only once the test releases them.</summary>
    private sealed class HeldContent : HttpContent
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await Release.Task.ConfigureAwait(false);
            await stream.WriteAsync(new byte[10]).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Each write a connection makes, as the bytes it wrote.</summary>
    private sealed class WriteLog
    {
        private readonly List<byte[]> _writes = [];

        public Task Add(ReadOnlyMemory<byte> bytes)
        {
            lock (_writes)
            {
                _writes.Add(bytes.ToArray());
            }

            return Task.CompletedTask;
        }

        /// <summary>The frames of each write after the connection preface (each write holds whole frames).</summary>
        public List<List<FrameHeader>> Frames()
        {
            lock (_writes)
            {
                var result = new List<List<FrameHeader>>();
                foreach (var write in _writes)
                {
                    var bytes = write.AsSpan();
                    if (bytes.StartsWith("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8))
                    {
                        bytes = bytes[24..];
                    }

                    var frames = new List<FrameHeader>();
                    while (!bytes.IsEmpty)
                    {
                        var frame = FrameHeader.Read(bytes);
                        frames.Add(frame);
                        bytes = bytes[(FrameHeader.Size + frame.Length)..];
                    }

                    result.Add(frames);
                }

                return result;
            }
        }
    }
}
