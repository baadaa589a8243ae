namespace Weft.Proxy.Http2;

/// <summary>
/// The HPACK dynamic table (RFC 7541 2.3.2, 4): newest entry first, evicted oldest first. The entries' bytes live in
/// one ring of bytes as long as the largest table, so adding and evicting allocate nothing: an entry's size counts 32
/// bytes beside its name and value (4.1), so the live bytes never outgrow the ring.
/// </summary>
internal sealed class HpackDynamicTable
{
    /// <summary>RFC 7541 4.1: an entry's size is its name's and value's lengths plus 32.</summary>
    public const int EntryOverhead = 32;

    private readonly byte[] _ring;
    private readonly Entry[] _entries; // also a ring, oldest at _oldest
    private readonly byte[] _unwrapped; // an entry that wraps around the ring's end, copied whole to be read
    private int _oldest;
    private int _end; // where the next entry's bytes go

    public HpackDynamicTable(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        _ring = new byte[maxSize];
        _unwrapped = new byte[maxSize];
        _entries = new Entry[Math.Max(1, maxSize / EntryOverhead)];
        Capacity = maxSize;
    }

    /// <summary>The number of entries.</summary>
    public int Count { get; private set; }

    /// <summary>The sum of the entries' sizes (RFC 7541 4.1).</summary>
    public int Size { get; private set; }

    /// <summary>The table's maximum size, as last set by the encoder (RFC 7541 4.2).</summary>
    public int Capacity { get; private set; }

    /// <summary>Sets the maximum size (at most the size given at construction), evicting until the entries fit.</summary>
    public void SetCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, _ring.Length);
        Capacity = capacity;
        while (Size > capacity)
        {
            EvictOldest();
        }
    }

    /// <summary>
    /// Adds an entry, evicting the oldest until it fits; one larger than the table empties it (RFC 7541 4.4). The
    /// name must not point into this table: evicting could overwrite it.
    /// </summary>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var size = (long)name.Length + value.Length + EntryOverhead;
        if (size > Capacity)
        {
            while (Count > 0)
            {
                EvictOldest();
            }
            return;
        }
        while (Size + size > Capacity)
        {
            EvictOldest();
        }
        var start = _end;
        Append(name);
        Append(value);
        _entries[(_oldest + Count) % _entries.Length] = new Entry(start, name.Length, value.Length);
        Count++;
        Size += (int)size;
    }

    /// <summary>
    /// The entry at <paramref name="index"/>, 1 being the newest. The spans are valid until the next call to this
    /// table.
    /// </summary>
    public void Get(int index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Count);
        var entry = _entries[(_oldest + Count - index) % _entries.Length];
        var length = entry.NameLength + entry.ValueLength;
        ReadOnlySpan<byte> bytes;
        if (entry.Start + length <= _ring.Length)
        {
            bytes = _ring.AsSpan(entry.Start, length);
        }
        else
        {
            var head = _ring.Length - entry.Start;
            _ring.AsSpan(entry.Start).CopyTo(_unwrapped);
            _ring.AsSpan(0, length - head).CopyTo(_unwrapped.AsSpan(head));
            bytes = _unwrapped.AsSpan(0, length);
        }
        name = bytes[..entry.NameLength];
        value = bytes[entry.NameLength..];
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        var head = Math.Min(bytes.Length, _ring.Length - _end);
        bytes[..head].CopyTo(_ring.AsSpan(_end));
        bytes[head..].CopyTo(_ring);
        _end = (_end + bytes.Length) % _ring.Length;
    }

    private void EvictOldest()
    {
        var entry = _entries[_oldest];
        Size -= entry.NameLength + entry.ValueLength + EntryOverhead;
        _entries[_oldest] = default;
        _oldest = (_oldest + 1) % _entries.Length;
        Count--;
        if (Count == 0)
        {
            // Empty: start again at the ring's start, so fewer entries wrap.
            _oldest = 0;
            _end = 0;
        }
    }

    private readonly record struct Entry(int Start, int NameLength, int ValueLength);
}
