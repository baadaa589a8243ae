using System.Buffers.Binary;
using System.Text;

namespace Weft.Proxy.Tracing;

/// <summary>
/// The protobuf wire format, the little of it OTLP needs (varint, fixed64, length-delimited fields, nested messages),
/// written into one growing buffer. A nested message reserves a one-byte length and moves its bytes along when the
/// length needs more, so every length is written the canonical way.
/// </summary>
internal sealed class ProtoWriter
{
    /// <summary>The buffer's size when made, and after <see cref="Release"/>.</summary>
    public const int InitialCapacity = 4096;

    private byte[] _buffer = new byte[InitialCapacity];

    public int Length { get; private set; }

    /// <summary>The buffer's size now.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Empties the writer and lets a buffer grown past <see cref="InitialCapacity"/> go (after each post).</summary>
    public void Release()
    {
        Length = 0;
        if (_buffer.Length > InitialCapacity)
        {
            _buffer = new byte[InitialCapacity];
        }
    }

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, Length);

    public void Reset() => Length = 0;

    public void Varint(int field, ulong value)
    {
        Tag(field, 0);
        RawVarint(value);
    }

    public void Fixed64(int field, ulong value)
    {
        Tag(field, 1);
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(Length), value);
        Length += 8;
    }

    public void Fixed32(int field, uint value)
    {
        Tag(field, 5);
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(Length), value);
        Length += 4;
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        RawVarint((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(Length));
        Length += value.Length;
    }

    public void String(int field, string value)
    {
        Tag(field, 2);
        var count = Encoding.UTF8.GetByteCount(value);
        RawVarint((ulong)count);
        Ensure(count);
        Length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(Length));
    }

    /// <summary>Starts a nested message in <paramref name="field"/>; returns the mark <see cref="EndMessage"/> takes.</summary>
    public int BeginMessage(int field)
    {
        Tag(field, 2);
        Ensure(1);
        Length++;
        return Length;
    }

    /// <summary>Ends the nested message begun at <paramref name="mark"/>: writes its length before it.</summary>
    public void EndMessage(int mark)
    {
        var size = Length - mark;
        var sizeBytes = VarintSize((ulong)size);
        if (sizeBytes > 1)
        {
            Ensure(sizeBytes - 1);
            _buffer.AsSpan(mark, size).CopyTo(_buffer.AsSpan(mark + sizeBytes - 1));
            Length += sizeBytes - 1;
        }

        WriteVarint(_buffer.AsSpan(mark - 1), (ulong)size);
    }

    private void Tag(int field, int wireType) => RawVarint((ulong)((field << 3) | wireType));

    private void RawVarint(ulong value)
    {
        Ensure(10);
        Length += WriteVarint(_buffer.AsSpan(Length), value);
    }

    private static int WriteVarint(Span<byte> to, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            to[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        to[n++] = (byte)value;
        return n;
    }

    private static int VarintSize(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    private void Ensure(int more)
    {
        if (Length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + more));
        }
    }
}
