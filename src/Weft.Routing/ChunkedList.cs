using System.Collections;

namespace Weft.Routing;

/// <summary>Makes <see cref="ChunkedList{T}"/>s.</summary>
public static class ChunkedList
{
    /// <summary><paramref name="items"/> as a chunked list: itself when it is one, else its items copied.</summary>
    public static ChunkedList<T> Of<T>(IReadOnlyList<T> items)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items is ChunkedList<T> chunked)
        {
            return chunked;
        }

        var chunks = new T[(items.Count + ChunkedList<T>.ChunkLength - 1) >> ChunkedList<T>.Shift][];
        for (var c = 0; c < chunks.Length; c++)
        {
            var chunk = chunks[c] = new T[Math.Min(ChunkedList<T>.ChunkLength, items.Count - (c << ChunkedList<T>.Shift))];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = items[(c << ChunkedList<T>.Shift) + i];
            }
        }

        return new ChunkedList<T>(chunks, items.Count);
    }
}

/// <summary>
/// An immutable list kept in chunks of <see cref="ChunkLength"/> items, so that the list made from another with a few
/// items swapped (<see cref="SetItems"/>) copies the chunks those items are in and shares the rest. Issue 18: the store's
/// merged objects and the snapshot's lists of each kind were copied whole for each object that changed, a large-object
/// allocation of the whole cluster's size per change, whose budget started the control plane's longest collections.
/// A chunk is below the large-object threshold; reading an item is two array reads.
/// </summary>
public sealed class ChunkedList<T> : IReadOnlyList<T>
    where T : class
{
    /// <summary>Items per chunk: 8 KB of references, so that a swap copies little and the list of chunks stays short.</summary>
    public const int ChunkLength = 1024;

    internal const int Shift = 10;

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
