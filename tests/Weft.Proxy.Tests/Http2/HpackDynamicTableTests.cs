using Weft.Proxy.Http2;

namespace Weft.Proxy.Tests.Http2;

/// <summary>RFC 7541 4: the dynamic table's size, eviction, size updates; and its ring of bytes read back whole.</summary>
public sealed class HpackDynamicTableTests
{
    [Fact]
    public void Entry_size_is_name_plus_value_plus_32()
    {
        var table = new HpackDynamicTable(4096);
        table.Add("abc"u8, "defgh"u8);
        Assert.Equal(3 + 5 + 32, table.Size);
    }

    [Fact]
    public void Adding_evicts_the_oldest_entries_until_the_new_one_fits()
    {
        var table = new HpackDynamicTable(100); // two 34-byte entries fit, not three
        table.Add("a"u8, "1"u8);
        table.Add("b"u8, "2"u8);
        table.Add("c"u8, "3"u8);
        Assert.Equal(["c: 3", "b: 2"], Entries(table));
        Assert.Equal(68, table.Size);
    }

    [Fact]
    public void Entry_larger_than_the_table_empties_it()
    {
        var table = new HpackDynamicTable(64);
        table.Add("a"u8, "1"u8);
        table.Add("name"u8, new byte[40]);
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.Size);
    }

    [Fact]
    public void Size_update_to_0_empties_the_table()
    {
        var decoder = new HpackDecoder();
        HeaderList.Decode(decoder, Convert.FromHexString("4001610162"));
        Assert.Equal(1, decoder.DynamicTable.Count);

        HeaderList.Decode(decoder, Convert.FromHexString("20"));
        Assert.Equal(0, decoder.DynamicTable.Count);
        Assert.Equal(0, decoder.DynamicTable.Size);
    }

    [Fact]
    public void Size_update_evicts_down_to_the_new_size()
    {
        var decoder = new HpackDecoder();
        HeaderList.Decode(decoder, Convert.FromHexString("400161016240016301644001650166")); // a: b, c: d, e: f
        HeaderList.Decode(decoder, Convert.FromHexString("3f2f")); // 31 + 47 = 78: room for two of 34
        Assert.Equal(["e: f", "c: d"], HeaderList.DynamicTableOf(decoder));
    }

    [Fact]
    public void Literal_naming_the_entry_it_evicts_keeps_the_name()
    {
        // RFC 7541 4.4: the new entry's name is the dynamic entry that adding it evicts.
        var decoder = new HpackDecoder(maxTableSize: 40);
        HeaderList.Decode(decoder, Convert.FromHexString("4003616263017a")); // abc: z (36 bytes)
        var fields = HeaderList.Decode(decoder, Convert.FromHexString("7e0179")); // name index 62, value y
        Assert.Equal(["abc: y"], fields);
        Assert.Equal(["abc: y"], HeaderList.DynamicTableOf(decoder));
    }

    [Fact]
    public void Entries_wrapping_around_the_ring_read_back_whole()
    {
        // 200 bytes of ring, entries of 58 to 70: two or three at a time, wrapping around its end again and again.
        var table = new HpackDynamicTable(200);
        var added = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            var name = $"name-{i}";
            var value = new string((char)('a' + (i % 26)), 20 + (i % 12));
            table.Add(System.Text.Encoding.Latin1.GetBytes(name), System.Text.Encoding.Latin1.GetBytes(value));
            added.Insert(0, $"{name}: {value}");
            var expected = added.TakeWhile((_, k) => added.Take(k + 1).Sum(e => e.Length - 2 + 32) <= 200).ToList();
            Assert.Equal(expected, Entries(table));
        }
    }

    private static List<string> Entries(HpackDynamicTable table)
    {
        var list = new HeaderList();
        for (var index = 1; index <= table.Count; index++)
        {
            table.Get(index, out var name, out var value);
            list.OnHeader(name, value);
        }
        return list.Fields;
    }
}
