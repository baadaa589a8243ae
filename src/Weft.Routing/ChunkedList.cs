using System.Collections;
using System.Runtime.InteropServices;

namespace Weft.Routing;

/// <summary>Makes <see cref="ChunkedList{T}"/>s.</summary>
public static class ChunkedList
{
    /// <summary><paramref name="items"/> as a chunked list: itself when it is one, else its items copied (a run at a time from an array or a list).</summary>
    public static ChunkedList<T> Of<T>(IReadOnlyList<T> items)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items is ChunkedList<T> chunked)
        {
            return chunked;
        }

        var builder = new ChunkedListBuilder<T>();
        builder.AddRange(items, 0, items.Count);
        return builder.ToList();
    }
}

/// <summary>
/// An immutable list kept in chunks of <see cref="ChunkLength"/> items, so that the list made from another with a few
/// items swapped (<see cref="SetItems"/>) copies the chunks those items are in and shares the rest. Issue 18: the store's
/// merged objects and the snapshot's lists of each kind were copied whole for each object that changed, a large-object
/// allocation of the whole cluster's size per change, whose budget started the control plane's longest collections.
/// A chunk is below the large-object threshold; reading an item is two array reads. A list with an item put in or taken
/// out is made anew (<see cref="ChunkedListBuilder{T}"/>): linear still, but in chunks, without an array of its size.
/// </summary>
public sealed class ChunkedList<T> : IReadOnlyList<T>
    where T : class
{
    /// <summary>Items per chunk: 8 KB of references, so that a swap copies little and the list of chunks stays short.</summary>
    public const int ChunkLength = 1024;

    private const int Shift = 10;

    private readonly T[][] _chunks;

    internal ChunkedList(T[][] chunks, int count)
    {
        _chunks = chunks;
        Count = count;
    }

    public int Count { get; }

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"the list holds {Count} items");
            }

            return _chunks[index >> Shift][index & (ChunkLength - 1)];
        }
    }

    /// <summary>This list with the item at each index of <paramref name="swaps"/> replaced: the chunks they fall in are copied, the others shared.</summary>
    public ChunkedList<T> SetItems(IEnumerable<(int Index, T Item)> swaps)
    {
        ArgumentNullException.ThrowIfNull(swaps);
        T[][]? chunks = null;
        var copied = new HashSet<int>();
        foreach (var (index, item) in swaps)
        {
            ArgumentNullException.ThrowIfNull(item);
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(swaps), index, $"the list holds {Count} items");
            }

            chunks ??= (T[][])_chunks.Clone();
            var c = index >> Shift;
            if (copied.Add(c))
            {
                chunks[c] = (T[])chunks[c].Clone();
            }

            chunks[c][index & (ChunkLength - 1)] = item;
        }

        return chunks is null ? this : new ChunkedList<T>(chunks, Count);
    }

    /// <summary>
    /// Where <paramref name="value"/> is in this list, which <paramref name="comparer"/> orders: its index, or the bitwise
    /// complement of the index it would be put in at (as <see cref="Array.BinarySearch{T}(T[], T, IComparer{T})"/>).
    /// </summary>
    public int BinarySearch(T value, IComparer<T> comparer)
    {
        ArgumentNullException.ThrowIfNull(comparer);
        var (low, high) = (0, Count - 1);
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var order = comparer.Compare(this[middle], value);
            if (order == 0)
            {
                return middle;
            }

            (low, high) = order < 0 ? (middle + 1, high) : (low, middle - 1);
        }

        return ~low;
    }

    /// <summary>Where <paramref name="item"/> is, by reference (records compare by value, and deeply); -1 when it is not.</summary>
    public int IndexOfInstance(T item)
    {
        for (var c = 0; c < _chunks.Length; c++)
        {
            if (FindInstance(_chunks[c], item) is var at && at >= 0)
            {
                return (c << Shift) + at;
            }
        }

        return -1;
    }

    /// <summary>The items from <paramref name="index"/> to the end of the chunk that holds it.</summary>
    internal ReadOnlySpan<T> RunAt(int index) => _chunks[index >> Shift].AsSpan(index & (ChunkLength - 1));

    /// <summary>
    /// Whether both lists hold the same instances at the same places: chunks shared are not read, so a list compared with
    /// the one it was made from costs the chunks that were copied.
    /// </summary>
    public bool SameInstances(ChunkedList<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (Count != other.Count)
        {
            return false;
        }

        for (var c = 0; c < _chunks.Length; c++)
        {
            var (a, b) = (_chunks[c], other._chunks[c]);
            if (ReferenceEquals(a, b))
            {
                continue;
            }

            for (var i = 0; i < a.Length; i++)
            {
                if (!ReferenceEquals(a[i], b[i]))
                {
                    return false;
                }
            }
        }

        return true;
    }

    public Enumerator GetEnumerator() => new(_chunks);

    IEnumerator<T> IEnumerable<T>.GetEnumerator()
    {
        foreach (var chunk in _chunks)
        {
            foreach (var item in chunk)
            {
                yield return item;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

    private static int FindInstance(T[] chunk, T item)
    {
        for (var i = 0; i < chunk.Length; i++)
        {
            if (ReferenceEquals(chunk[i], item))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The items in order, chunk by chunk, without an allocation.</summary>
    public struct Enumerator(T[][] chunks)
    {
        private int _chunk;
        private int _index = -1;

        public readonly T Current => chunks[_chunk][_index];

        public bool MoveNext()
        {
            while (_chunk < chunks.Length)
            {
                if (++_index < chunks[_chunk].Length)
                {
                    return true;
                }

                (_chunk, _index) = (_chunk + 1, -1);
            }

            return false;
        }
    }
}

/// <summary>
/// Makes a <see cref="ChunkedList{T}"/> item by item or range by range, in chunks from the start: a list of the whole
/// cluster's size made without an array of that size (a change that adds or removes an object makes one).
/// </summary>
public sealed class ChunkedListBuilder<T>
    where T : class
{
    private readonly List<T[]> _chunks = [];
    private int _used; // of the last chunk

    /// <summary>How many items have been added.</summary>
    public int Count => _chunks.Count == 0 ? 0 : ((_chunks.Count - 1) * ChunkedList<T>.ChunkLength) + _used;

    public void Add(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Room()[_used++] = item;
    }

    /// <summary>
    /// Adds <paramref name="count"/> items of <paramref name="items"/> from <paramref name="start"/> on, a run at a time
    /// where it is chunked, an array or a <see cref="List{T}"/>.
    /// </summary>
    public void AddRange(IReadOnlyList<T> items, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, items.Count - count);
        while (count > 0)
        {
            var chunk = Room();

            // The longest run that is one span on the source's side, as much of it as fits this chunk. An array is read
            // as a read-only span: it may be an array of a type derived from T (array covariance), which a writable span
            // of T refuses.
            var run = items switch
            {
                ChunkedList<T> chunked => chunked.RunAt(start),
                T[] array => new ReadOnlySpan<T>(array)[start..],
                List<T> list => CollectionsMarshal.AsSpan(list)[start..],
                _ => default,
            };
            var n = run.IsEmpty ? 1 : Math.Min(Math.Min(run.Length, count), chunk.Length - _used);
            if (run.IsEmpty)
            {
                chunk[_used] = items[start];
            }
            else
            {
                run[..n].CopyTo(chunk.AsSpan(_used));
            }

            (_used, start, count) = (_used + n, start + n, count - n);
        }
    }

    /// <summary>The last chunk, a new one when it is full.</summary>
    private T[] Room()
    {
        if (_chunks.Count == 0 || _used == ChunkedList<T>.ChunkLength)
        {
            _chunks.Add(new T[ChunkedList<T>.ChunkLength]);
            _used = 0;
        }

        return _chunks[^1];
    }

    /// <summary>The list of the items added; the builder is not to be used after.</summary>
    public ChunkedList<T> ToList()
    {
        var count = Count;
        if (_chunks.Count > 0 && _used < ChunkedList<T>.ChunkLength)
        {
            _chunks[^1] = _chunks[^1][.._used];
        }

        return new ChunkedList<T>([.. _chunks], count);
    }
}
