namespace Weft.Proxy.Http2;

/// <summary>
/// One connection's HPACK decoder (RFC 7541), for one direction. Fields reach the sink as spans into the block, the
/// dynamic table or this decoder's buffers: nothing is allocated per field once the buffers have grown to the largest
/// Huffman-coded strings seen.
/// </summary>
internal sealed class HpackDecoder
{
    private readonly int _maxTableSize;
    private readonly int _maxHeaderListSize;
    private byte[] _nameBuffer = [];
    private byte[] _valueBuffer = [];

    /// <param name="maxTableSize">The SETTINGS_HEADER_TABLE_SIZE advertised: the largest table size update accepted.</param>
    /// <param name="maxHeaderListSize">
    /// The largest header list accepted, in RFC 7541 4.1's measure (name, value and 32 per field).
    /// </param>
    public HpackDecoder(int maxTableSize = 4096, int maxHeaderListSize = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _maxTableSize = maxTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        DynamicTable = new HpackDynamicTable(maxTableSize);
    }

    /// <summary>The connection's dynamic table, read by tests.</summary>
    internal HpackDynamicTable DynamicTable { get; }

    /// <summary>
    /// Decodes one complete header block (a HEADERS payload and its CONTINUATIONs, joined, without padding or
    /// priority) into <paramref name="sink"/>; an <see cref="HpackException"/> when it is malformed or too large.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> block, IHpackSink sink)
    {
        var position = 0;
        var listSize = 0L;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            ReadOnlySpan<byte> name;
            ReadOnlySpan<byte> value;
            var budget = (int)Math.Max(0, _maxHeaderListSize - listSize - HpackDynamicTable.EntryOverhead);
            if ((first & 0x80) != 0)
            {
                // RFC 7541 6.1: indexed header field.
                Field(HpackInteger.Read(block, ref position, 7), out name, out value);
            }
            else if ((first & 0x40) != 0)
            {
                // 6.2.1: literal with incremental indexing. A name taken from the dynamic table is copied first, as
                // adding this entry may evict the one it names (4.4).
                name = ReadName(block, ref position, 6, budget, copyDynamic: true);
                value = ReadString(block, ref position, ref _valueBuffer, budget - name.Length);
                DynamicTable.Add(name, value);
            }
            else if ((first & 0x20) != 0)
            {
                // 6.3: dynamic table size update, only before the block's first field (4.2), at most what we advertised.
                if (fieldSeen)
                {
                    throw new HpackException("A dynamic table size update follows a header field.");
                }
                var size = HpackInteger.Read(block, ref position, 5);
                if (size > _maxTableSize)
                {
                    throw new HpackException(
                        $"A dynamic table size update to {size} exceeds the {_maxTableSize} bytes advertised.");
                }
                DynamicTable.SetCapacity(size);
                continue;
            }
            else
            {
                // 6.2.2 (0000) and 6.2.3 (0001): literal without indexing, literal never indexed.
                name = ReadName(block, ref position, 4, budget, copyDynamic: false);
                value = ReadString(block, ref position, ref _valueBuffer, budget - name.Length);
            }
            fieldSeen = true;
            listSize += name.Length + value.Length + HpackDynamicTable.EntryOverhead;
            if (listSize > _maxHeaderListSize)
            {
                throw TooLarge();
            }
            sink.OnHeader(name, value);
        }
    }

    private void Field(int index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        // RFC 7541 2.3.3: index 0 is no entry; 1-61 the static table, then the dynamic table, newest first.
        if (index == 0)
        {
            throw new HpackException("A header field refers to index 0.");
        }
        if (index <= HpackStaticTable.Count)
        {
            name = HpackStaticTable.Name(index);
            value = HpackStaticTable.Value(index);
            return;
        }
        if (index - HpackStaticTable.Count > DynamicTable.Count)
        {
            throw new HpackException(
                $"A header field refers to index {index}, past the static table and the dynamic table's {DynamicTable.Count} entries.");
        }
        DynamicTable.Get(index - HpackStaticTable.Count, out name, out value);
    }

    private ReadOnlySpan<byte> ReadName(ReadOnlySpan<byte> block, scoped ref int position, int prefixBits, int budget, bool copyDynamic)
    {
        var index = HpackInteger.Read(block, ref position, prefixBits);
        if (index == 0)
        {
            return ReadString(block, ref position, ref _nameBuffer, budget);
        }
        Field(index, out var name, out _);
        if (!copyDynamic || index <= HpackStaticTable.Count)
        {
            return name;
        }
        if (_nameBuffer.Length < name.Length)
        {
            _nameBuffer = new byte[Math.Max(name.Length, _maxTableSize)];
        }
        name.CopyTo(_nameBuffer);
        return _nameBuffer.AsSpan(0, name.Length);
    }

    // RFC 7541 5.2: the H bit, the length (7-bit prefix), the bytes; Huffman-coded ones decoded into buffer. A string
    // longer than budget makes the header list too large, so the buffer never grows past the list's limit.
    private static ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> block, scoped ref int position, ref byte[] buffer, int budget)
    {
        if (position >= block.Length)
        {
            throw new HpackException("The header block ends before a string literal.");
        }
        var huffman = (block[position] & 0x80) != 0;
        var length = HpackInteger.Read(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackException("A string literal runs past the end of the header block.");
        }
        var encoded = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            return length <= budget ? encoded : throw TooLarge();
        }
        // The shortest code is 5 bits, so this many bytes hold any decoding of it.
        var room = (int)Math.Min(Math.Max(budget, 0), length * 8L / 5);
        if (buffer.Length < room)
        {
            buffer = new byte[(int)Math.Max(room, Math.Min(2L * buffer.Length, budget))];
        }
        return Huffman.TryDecode(encoded, buffer.AsSpan(0, room), out var written)
            ? buffer.AsSpan(0, written)
            : throw TooLarge();
    }

    private static HpackException TooLarge() => new("The header list is larger than the limit advertised.");
}
