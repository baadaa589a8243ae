using System.Buffers;
using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// The sidecar's hot path: once warm, decoding a block (Huffman strings, dynamic table references, additions and
/// evictions) and encoding a request's fields allocate nothing.
/// </summary>
public sealed class HpackAllocationTests
{
    [Fact]
    public void Decoder_in_steady_state_allocates_nothing_per_field()
    {
        // RFC 7541 C.4: Huffman-coded requests; the third adds an entry and refers to the table each time it is decoded.
        var decoder = new HpackDecoder(maxTableSize: 256);
        var sink = new CountingSink();
        decoder.Decode(Convert.FromHexString("828684418cf1e3c2e5f23a6ba0ab90f4ff"), sink);
        decoder.Decode(Convert.FromHexString("828684be5886a8eb10649cbf"), sink);
        var third = Convert.FromHexString("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf");
        decoder.Decode(third, sink);

        Assert.Equal(0, Allocations.Fewest(() => decoder.Decode(third, sink)));
        Assert.Equal(4 + 5 + 5 + (3 * 5000), sink.Count); // three runs of 1,000 decodes
    }

    [Fact]
    public void Encoder_allocates_nothing_per_field()
    {
        var output = new ArrayBufferWriter<byte>(4096);
        EncodeRequest(output);
        output.ResetWrittenCount();

        Assert.Equal(0, Allocations.Fewest(() =>
        {
            EncodeRequest(output);
            output.ResetWrittenCount();
        }));
    }

    private static void EncodeRequest(ArrayBufferWriter<byte> output)
    {
        HpackEncoder.EncodeIndexed(2, output);
        HpackEncoder.EncodeIndexed(7, output);
        HpackEncoder.Encode(":path", "/api/v1/items?page=2", output);
        HpackEncoder.Encode(":authority", "reviews.default.svc.cluster.local:9080", output);
        HpackEncoder.Encode("accept", "*/*", output);
        HpackEncoder.Encode("x-request-id", "6f1c2e0a-4b7d-4c1e-9a3f-2d8e5b7c9a10", output);
        HpackEncoder.EncodeNeverIndexed("authorization", "Bearer abc.def.ghi", output);
    }

    private sealed class CountingSink : IHpackSink
    {
        public int Count { get; private set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Count++;
    }
}
