using System.Buffers;
using System.Buffers.Binary;

namespace Weft.Proxy.Http2;

/// <summary>
/// One connection's outgoing frames: every sender appends whole frames to a pending buffer under one lock, and the first
/// to find no write in progress schedules one, which writes the buffer out with everything appended until it runs. The
/// write is a thread-pool work item of its own, not the sender's: the requests Kestrel dispatches together come on
/// several threads within microseconds, and their frames then share one TLS record and one syscall. Written inline, each
/// went alone: 1.6 sends per request more than SocketsHttpHandler through two sidecars, and about 0.6 writes per request
/// where it made 0.02 in a closed loop of 50 streams (bench/RESULTS.md). SocketsHttpHandler's and Kestrel's writers work
/// so too. Frames are never interleaved, and a HEADERS frame and its stream identifier are appended together, in the
/// order the identifiers were given (RFC 9113 5.1.1). The buffers are pooled and given back when nothing is pending, so
/// an idle connection holds none.
/// </summary>
/// <param name="stream">The connection's transport.</param>
/// <param name="onFailure">Told of a failed write, or of a peer that stopped reading (<see cref="MaxPending"/>).</param>
/// <param name="schedule">Starts the write (tests run it when they choose); the thread pool's global queue by default.</param>
internal sealed class FrameWriter(Stream stream, Action<Exception> onFailure, Action<IThreadPoolWorkItem>? schedule = null) : IThreadPoolWorkItem
{
    /// <summary>
    /// The most frame bytes that may wait for the transport. DATA is bounded by the peer's windows and HEADERS by its
    /// stream limit, but its acknowledgements (PING, SETTINGS) and our resets are not: a peer that stops reading and goes on
    /// sending would otherwise grow this buffer without end. Past it the connection is given up.
    /// </summary>
    public const int MaxPending = 4 * 1024 * 1024;

    /// <summary>
    /// Past this many pending bytes a DATA sender waits for the write to take them (<see cref="WaitForRoom"/>): a peer's
    /// windows may be far larger than <see cref="MaxPending"/> (gRPC in Go grows its own to 16 MB), and a body copied
    /// faster than the transport drains must not fill the buffer up to the point where the connection is given up.
    /// </summary>
    public const int DataHighWater = 1024 * 1024;

    private TaskCompletionSource? _roomWaiter;
    private byte[]? _pending;
    private int _count;
    private bool _writing;
    private bool _failed;
    private bool _overflowed;
    private byte[]? _discard;
    private Action? _afterWrite; // CloseAfterWriting's, run once nothing is pending

    /// <summary>The lock every append and the window accounting of the connection take.</summary>
    public object Gate { get; } = new();

    /// <summary>Room for <paramref name="size"/> more bytes at the end of the pending buffer; the caller holds <see cref="Gate"/>.</summary>
    public Span<byte> Reserve(int size)
    {
        if (!_failed && _count + size > MaxPending)
        {
            _failed = true;
            _overflowed = true;
        }

        if (_failed)
        {
            // Nothing more goes out on a failed connection: the frame is written into a scratch buffer and dropped.
            if (_discard is null || _discard.Length < size)
            {
                _discard = new byte[Math.Max(size, 64)];
            }

            return _discard.AsSpan(0, size);
        }

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

    /// <summary>Appends a frame under <see cref="Gate"/> and writes it: for frames that change no other state under the lock.</summary>
    public void Send(FrameType type, FrameFlags flags, int streamId, ReadOnlySpan<byte> payload)
    {
        lock (Gate)
        {
            Append(type, flags, streamId, payload);
        }

        Flush();
    }

    /// <inheritdoc cref="Send"/>
    public void SendWindowUpdate(int streamId, int increment)
    {
        lock (Gate)
        {
            AppendWindowUpdate(streamId, increment);
        }

        Flush();
    }

    /// <inheritdoc cref="Send"/>
    public void SendGoAway(int lastStreamId, int errorCode)
    {
        lock (Gate)
        {
            AppendGoAway(lastStreamId, errorCode);
        }

        Flush();
    }

    /// <summary>
    /// Called after an append, outside <see cref="Gate"/>: schedules a write of what is pending unless one is scheduled or
    /// in progress, which then takes it along.
    /// </summary>
    public void Flush()
    {
        var overflowed = false;
        lock (Gate)
        {
            if (_overflowed)
            {
                _overflowed = false;
                overflowed = true;
            }
            else if (_writing || _count == 0 || _failed)
            {
                return;
            }
            else
            {
                _writing = true;
            }
        }

        if (overflowed)
        {
            onFailure(new IOException($"the peer has not read {MaxPending / (1024 * 1024)} MB of frames waiting for it"));
            return;
        }

        if (schedule is null)
        {
            // The global queue: a worker other than this sender takes it, by when the senders beside this one have
            // appended too (the local queue's would run it on this thread right after the sender's own work: no gain).
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            schedule(this);
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = WriteLoopAsync();

    private async Task WriteLoopAsync()
    {
        byte[]? spare = null;
        Action? after = null;
        TaskCompletionSource? room = null;
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
                        if (_pending is not null)
                        {
                            ArrayPool<byte>.Shared.Return(_pending);
                            _pending = null;
                            _count = 0;
                        }

                        after = _afterWrite;
                        _afterWrite = null;
                        break;
                    }

                    buffer = _pending!;
                    count = _count;
                    _pending = spare; // from here that buffer is the writer's pending one, not this loop's to return
                    spare = null;
                    _count = 0;
                    room = _roomWaiter;
                    _roomWaiter = null;
                }

                room?.TrySetResult();
                room = null;

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
                after = _afterWrite;
                _afterWrite = null;
                room = _roomWaiter;
                _roomWaiter = null;
            }

            room?.TrySetResult(); // the senders find the connection failed
            onFailure(e);
        }
        finally
        {
            if (spare is not null)
            {
                ArrayPool<byte>.Shared.Return(spare);
            }
        }

        after?.Invoke();
    }

    /// <summary>
    /// Runs <paramref name="close"/> once what is pending is written (a GOAWAY before the transport is closed: the write
    /// runs later, on the thread pool), or has failed, or after <paramref name="bound"/> at the latest, so a peer that
    /// stops reading cannot keep the connection open.
    /// </summary>
    public void CloseAfterWriting(Action close, TimeSpan bound)
    {
        var done = 0;
        void Once()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
            {
                close();
            }
        }

        bool now;
        lock (Gate)
        {
            now = _failed || (!_writing && _count == 0);
            if (!now)
            {
                _afterWrite = Once;
            }
        }

        if (now)
        {
            Once();
            return;
        }

        Flush();
        _ = Task.Delay(bound).ContinueWith(static (_, state) => ((Action)state!)(), (Action)Once, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Gives the pending buffer back once the connection is closed (nothing more is written).</summary>
    public void Release()
    {
        TaskCompletionSource? room;
        lock (Gate)
        {
            room = _roomWaiter;
            _roomWaiter = null;
            _failed = true;
            if (!_writing && _pending is not null)
            {
                ArrayPool<byte>.Shared.Return(_pending);
                _pending = null;
                _count = 0;
            }
        }

        room?.TrySetResult();
    }

    /// <summary>Whether a DATA sender should wait before appending more (<see cref="DataHighWater"/>); under <see cref="Gate"/>.</summary>
    public bool IsFull => !_failed && _count >= DataHighWater;

    /// <summary>A task that completes when the write takes what is pending (or the connection fails); under <see cref="Gate"/>.</summary>
    public Task WaitForRoom()
    {
        _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _roomWaiter.Task;
    }
}
