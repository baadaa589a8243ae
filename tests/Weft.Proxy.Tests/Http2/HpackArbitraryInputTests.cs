using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>
/// A peer's bytes are untrusted: whatever the block, the decoder either decodes it or throws HpackException (a
/// COMPRESSION_ERROR), never another exception. Seeded, so a failure repeats.
/// </summary>
public sealed class HpackArbitraryInputTests
{
    [Fact]
    public void Random_blocks_decode_or_throw_HpackException_only()
    {
        var random = new Random(7541);
        var decoder = new HpackDecoder(maxTableSize: 256, maxHeaderListSize: 4096);
        var block = new byte[48];
        for (var i = 0; i < 50_000; i++)
        {
            var length = random.Next(block.Length + 1);
            random.NextBytes(block.AsSpan(0, length));
            DecodeOrRefuse(ref decoder, block.AsSpan(0, length));
        }
    }

    [Fact]
    public void Appendix_C_blocks_with_a_byte_changed_decode_or_throw_HpackException_only()
    {
        var random = new Random(7541);
        string[] blocks =
        [
            "828684418cf1e3c2e5f23a6ba0ab90f4ff",
            "828684be5886a8eb10649cbf",
            "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
            "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
            "4883640effc1c0bf",
        ];
        var decoder = new HpackDecoder(maxTableSize: 256);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = Convert.FromHexString(blocks[random.Next(blocks.Length)]);
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            DecodeOrRefuse(ref decoder, bytes);
        }
    }

    // A refused block leaves the connection's state undefined: a new decoder, as a new connection would have.
    private static void DecodeOrRefuse(ref HpackDecoder decoder, ReadOnlySpan<byte> block)
    {
        try
        {
            decoder.Decode(block, new HeaderList());
        }
        catch (HpackException)
        {
            decoder = new HpackDecoder(maxTableSize: 256, maxHeaderListSize: 4096);
        }
    }
}
