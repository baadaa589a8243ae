using System.Buffers;
using System.Buffers.Binary;

namespace Weft.Proxy.Http2;

/// <summary>
/// One connection's outgoing frames: every sender appends whole frames to a pending buffer under one lock, and whoever
/// finds no write in progress writes the buffer out, with everything appended meanwhile in the same write. So frames of
/// many streams share a TLS record and a syscall, frames are never interleaved, and a HEADERS frame and its stream
/// identifier are appended together, in the order the identifiers were given (RFC 9113 5.1.1). The buffers are pooled and
/// given back when nothing is pending, so an idle connection holds none.
/// </summary>
internal sealed class FrameWriter(Stream stream, Action<Exception> onFailure)
{
    private byte[]? _pending;
    private int _count;
    private bool _writing;
    private bool _failed;

    /// <summary>The lock every append and the window accounting of the connection take.</summary>
    public object Gate { get; } = new();

    /// <summary>Room for <paramref name="size"/> more bytes at the end of the pending buffer; the caller holds <see cref="Gate"/>.</summary>
    public Span<byte> Reserve(int size)
    {
        if (_pending is null)
        {
            _pending = ArrayPool<byte>.Shared.Rent(Math.Max(size, 4096));
        }
        else if (_pending.Length - _count < size)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_count + size, _pending.Length * 2));
            _pending.AsSpan(0, _count).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = bigger;
        }

        var span = _pending.AsSpan(_count, size);
        _count += size;
        return span;
    }

    /// <summary>Appends a frame whose payload is <paramref name="payload"/>; the caller holds <see cref="Gate"/>.</summary>
    public void Append(FrameType type, FrameFlags flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var span = Reserve(FrameHeader.Size + payload.Length);
        FrameHeader.Write(span, payload.Length, type, flags, streamId);
        payload.CopyTo(span[FrameHeader.Size..]);
    }

    public void AppendRstStream(int streamId, int errorCode)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)errorCode);
        Append(FrameType.RstStream, FrameFlags.None, streamId, payload);
    }

    public void AppendWindowUpdate(int streamId, int increment)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        Append(FrameType.WindowUpdate, FrameFlags.None, streamId, payload);
    }

    public void AppendGoAway(int lastStreamId, int errorCode)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], (uint)errorCode);
        Append(FrameType.GoAway, FrameFlags.None, 0, payload);
    }

    /// <summary>
    /// Called after an append, outside <see cref="Gate"/>: writes what is pending unless a write is in progress, whose
    /// writer takes it along. The first write runs on the caller's thread (the usual case completes there).
    /// </summary>
    public void Flush()
    {
        lock (Gate)
        {
            if (_writing || _count == 0 || _failed)
            {
                return;
            }

            _writing = true;
        }

        _ = WriteLoopAsync();
    }

    private async Task WriteLoopAsync()
    {
        byte[]? spare = null;
        try
        {
            while (true)
            {
                byte[] buffer;
                int count;
                lock (Gate)
                {
                    if (_count == 0 || _failed)
                    {
                        _writing = false;
                        if (_pending is not null && _count == 0)
                        {
                            ArrayPool<byte>.Shared.Return(_pending);
                            _pending = null;
                        }

                        break;
                    }

                    buffer = _pending!;
                    count = _count;
                    _pending = spare;
                    _count = 0;
                }

                await stream.WriteAsync(buffer.AsMemory(0, count)).ConfigureAwait(false);

                spare = buffer;
            }
        }
        catch (Exception e)
        {
            lock (Gate)
            {
                _failed = true;
                _writing = false;
            }

            onFailure(e);
        }
        finally
        {
            if (spare is not null)
            {
                ArrayPool<byte>.Shared.Return(spare);
            }
        }
    }

    /// <summary>Gives the pending buffer back once the connection is closed (nothing more is written).</summary>
    public void Release()
    {
        lock (Gate)
        {
            _failed = true;
            if (!_writing && _pending is not null)
            {
                ArrayPool<byte>.Shared.Return(_pending);
                _pending = null;
                _count = 0;
            }
        }
    }
}
