using System.Text;
using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>A sink that keeps the decoded fields as "name: value" lines (Latin-1), as RFC 7541 Appendix C prints them.</summary>
internal sealed class HeaderList : IHpackSink
{
    public List<string> Fields { get; } = [];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        Fields.Add($"{Encoding.Latin1.GetString(name)}: {Encoding.Latin1.GetString(value)}");

    public static List<string> Decode(HpackDecoder decoder, byte[] block)
    {
        var list = new HeaderList();
        decoder.Decode(block, list);
        return list.Fields;
    }

    /// <summary>The decoder's dynamic table, newest entry first, as "name: value" lines.</summary>
    public static List<string> DynamicTableOf(HpackDecoder decoder)
    {
        var table = new HeaderList();
        for (var index = 1; index <= decoder.DynamicTable.Count; index++)
        {
            decoder.DynamicTable.Get(index, out var name, out var value);
            table.OnHeader(name, value);
        }
        return table.Fields;
    }
}
