using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// The codec against .NET's own HTTP/2 stack: Kestrel (h2c, prior knowledge) reads header blocks our encoder made
/// (indexed, literal with an indexed or a literal name, Huffman-coded and plain strings, never indexed), echoes the
/// fields, and our decoder reads its response blocks, the second of which refers to Kestrel's dynamic table.
/// </summary>
public sealed class HpackAgainstKestrelTests
{
    private const byte Headers = 0x1, Settings = 0x4, GoAway = 0x7, Continuation = 0x9;
    private const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;
    private static readonly string[] EchoedNames = ["x-plain", "x-huffman", "authorization"];

    [Fact]
    public async Task Kestrel_reads_our_header_blocks_and_we_read_its_dynamic_table_references()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            bound = l;
            l.Protocols = HttpProtocols.Http2;
        }));
        await using var app = builder.Build();
        app.Run(context =>
        {
            var request = context.Request;
            var response = context.Response;
            response.Headers["echo-method"] = request.Method;
            response.Headers["echo-path"] = request.Path.Value;
            foreach (var name in EchoedNames)
            {
                response.Headers[$"echo-{name}"] = request.Headers[name].ToString();
            }
            response.Headers["x-repeated"] = "the same value on every response";
            return Task.CompletedTask;
        });
        await app.StartAsync();
        var port = bound!.IPEndPoint!.Port;

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), timeout.Token);
        await WriteFrameAsync(stream, Settings, 0, 0, ReadOnlyMemory<byte>.Empty, timeout.Token);

        var decoder = new HpackDecoder();
        var blocks = new List<byte[]>();
        for (var streamId = 1; streamId <= 3; streamId += 2)
        {
            var block = new ArrayBufferWriter<byte>();
            HpackEncoder.EncodeIndexed(2, block); // :method: GET
            HpackEncoder.EncodeIndexed(6, block); // :scheme: http
            HpackEncoder.Encode(":path", "/echo", block);
            HpackEncoder.Encode(":authority", $"127.0.0.1:{port}", block);
            HpackEncoder.Encode("x-plain", "{<>}", block); // longer in Huffman: sent plain
            HpackEncoder.Encode("x-huffman", "www.example.com", block); // shorter in Huffman
            HpackEncoder.EncodeNeverIndexed("authorization", $"Bearer token-{streamId}", block);
            Assert.Contains(block.WrittenSpan.ToArray(), b => b == 0x80 + 12); // the Huffman-coded value's H bit and length
            await WriteFrameAsync(stream, Headers, EndStream | EndHeaders, streamId, block.WrittenMemory, timeout.Token);

            var responseBlock = await ReadResponseHeadersAsync(stream, streamId, timeout.Token);
            blocks.Add(responseBlock);
            var fields = HeaderList.Decode(decoder, responseBlock);

            Assert.Contains(":status: 200", fields);
            Assert.Contains("echo-method: GET", fields);
            Assert.Contains("echo-path: /echo", fields);
            Assert.Contains("echo-x-plain: {<>}", fields);
            Assert.Contains("echo-x-huffman: www.example.com", fields);
            Assert.Contains($"echo-authorization: Bearer token-{streamId}", fields);
            Assert.Contains("x-repeated: the same value on every response", fields);
        }

        // Kestrel indexed the repeated field in its dynamic table on the first response and referred to it on the
        // second: our table holds it, and the second block is the shorter for it.
        Assert.Contains("x-repeated: the same value on every response", HeaderList.DynamicTableOf(decoder));
        Assert.True(blocks[1].Length < blocks[0].Length - 30, $"first block {blocks[0].Length} bytes, second {blocks[1].Length}");
    }

    // Reads frames until the response headers of streamId are complete (HEADERS plus any CONTINUATIONs), answering the
    // server's SETTINGS.
    private static async Task<byte[]> ReadResponseHeadersAsync(NetworkStream stream, int streamId, CancellationToken cancel)
    {
        var block = new List<byte>();
        var header = new byte[9];
        while (true)
        {
            await stream.ReadExactlyAsync(header, cancel);
            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var type = header[3];
            var flags = header[4];
            var id = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff;
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, cancel);
            switch (type)
            {
                case Settings when (flags & Ack) == 0:
                    await WriteFrameAsync(stream, Settings, Ack, 0, ReadOnlyMemory<byte>.Empty, cancel);
                    break;
                case GoAway:
                    Assert.Fail($"GOAWAY, error code {BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4))}");
                    break;
                case Headers or Continuation when id == streamId:
                    // Kestrel sends neither padding nor priority on responses.
                    block.AddRange(payload);
                    if ((flags & EndHeaders) != 0)
                    {
                        return [.. block];
                    }
                    break;
                default: // DATA, WINDOW_UPDATE, the SETTINGS ACK
                    break;
            }
        }
    }

    private static async Task WriteFrameAsync(NetworkStream stream, byte type, int flags, int streamId, ReadOnlyMemory<byte> payload, CancellationToken cancel)
    {
        var header = new byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = (byte)flags;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), streamId);
        await stream.WriteAsync(header, cancel);
        await stream.WriteAsync(payload, cancel);
    }
}
