using System.Buffers;
using System.Buffers.Binary;
using System.Net.Http;

namespace Weft.Proxy.Http2;

/// <summary>
/// One HTTP/2 client connection (RFC 9113) over a stream someone else opened (TLS with ALPN h2, or h2c with prior
/// knowledge): many requests at once, each an <see cref="Http2Stream"/>. One loop reads frames and hands each to its
/// stream; senders append frames through the <see cref="FrameWriter"/>. What a stream holds is small and pooled: its
/// response body's bytes until they are read (at most its window), nothing for its request headers once they are
/// appended. Our own header encoding never uses the dynamic table, so the peer's table size setting needs no state.
/// </summary>
internal sealed class Http2Connection
{
    /// <summary>The receive window we give each stream (SETTINGS_INITIAL_WINDOW_SIZE), and the connection's.</summary>
    public const int StreamWindow = 256 * 1024;
    public const int ConnectionWindow = 2 * 1024 * 1024;

    /// <summary>The largest header list we accept from the peer (SETTINGS_MAX_HEADER_LIST_SIZE).</summary>
    public const int MaxHeaderList = 64 * 1024;

    /// <summary>The last client stream identifier (2^31-1 is the largest; odd ones are the client's).</summary>
    private const int MaxStreamId = int.MaxValue - 2;

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly Stream _stream;
    private readonly FrameWriter _writer;
    // The decoder's own limit is wider than the list a stream accepts (MaxHeaderList, the stream's to enforce), so a
    // response whose headers are too long fails alone while the table stays in step; past it, the connection fails.
    private readonly HpackDecoder _decoder = new(4096, 4 * MaxHeaderList);
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly TaskCompletionSource _settingsReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Http2Stream> _windowWaiters = [];

    // Guarded by _writer.Gate.
    private int _nextStreamId = 1;
    private long _sendWindow = 65_535;
    private int _peerInitialWindow = 65_535;
    private int _peerMaxFrame = FrameHeader.DefaultMaxPayload;

    // Guarded by _streams.
    private int _active;
    private int _maxConcurrent = 100;
    private bool _goingAway;
    private Exception? _closed;
    private long _idleSince = Environment.TickCount64;

    // Whether this thread is handling a frame of a read loop's (and running the continuations it completes inline).
    [ThreadStatic]
    private static bool t_onReadLoop;

    // The read loop's alone.
    private int _connectionReceiveWindow = ConnectionWindow;
    private int _connectionUnacked;

    public Http2Connection(Stream stream)
    {
        _stream = stream;
        _writer = new FrameWriter(stream, e => Abort(new IOException("the HTTP/2 connection failed while writing: " + e.Message, e)));
    }

    internal FrameWriter Writer => _writer;

    /// <summary>
    /// Whether the current thread is a read loop's, inside a frame: nothing may wait here for what a read loop delivers
    /// (DATA, a WINDOW_UPDATE), since this loop is the one waiting.
    /// </summary>
    internal static bool OnReadLoop => t_onReadLoop;

    /// <summary>Whether a new stream may not be opened here any more (closed, closing, or told to go away).</summary>
    public bool IsRetired
    {
        get
        {
            lock (_streams)
            {
                return _closed is not null || _goingAway;
            }
        }
    }

    /// <summary>The streams open now (each holds one of the peer's concurrent stream slots).</summary>
    public int ActiveStreams
    {
        get
        {
            lock (_streams)
            {
                return _active;
            }
        }
    }

    /// <summary>Milliseconds (<see cref="Environment.TickCount64"/>) since when no stream has been open; null while one is.</summary>
    public long? IdleSince
    {
        get
        {
            lock (_streams)
            {
                return _active == 0 ? _idleSince : null;
            }
        }
    }

    /// <summary>Writes the preface and our settings, starts the read loop, and waits for the peer's first SETTINGS.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        lock (_writer.Gate)
        {
            Preface.CopyTo(_writer.Reserve(Preface.Length));
            Span<byte> settings = stackalloc byte[18];
            WriteSetting(settings, SettingId.EnablePush, 0);
            WriteSetting(settings[6..], SettingId.InitialWindowSize, StreamWindow);
            WriteSetting(settings[12..], SettingId.MaxHeaderListSize, MaxHeaderList);
            _writer.Append(FrameType.Settings, FrameFlags.None, 0, settings);
            _writer.AppendWindowUpdate(0, ConnectionWindow - 65_535);
        }

        _writer.Flush();
        _ = ReadLoopAsync();
        try
        {
            await _settingsReceived.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort(new IOException($"the peer sent no HTTP/2 SETTINGS within {timeout.TotalSeconds:0} s"));
            throw;
        }

        static void WriteSetting(Span<byte> destination, ushort id, int value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, id);
            BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)value);
        }
    }

    /// <summary>Takes one of the peer's concurrent stream slots; false when none is left or the connection is retired.</summary>
    public bool TryReserve()
    {
        lock (_streams)
        {
            if (_closed is not null || _goingAway || _active >= _maxConcurrent)
            {
                return false;
            }

            if (Volatile.Read(ref _nextStreamId) > MaxStreamId)
            {
                _goingAway = true; // a new connection takes over; this one closes after its last stream
                return false;
            }

            _active++;
            return true;
        }
    }

    /// <summary>Sends <paramref name="request"/> on a slot taken with <see cref="TryReserve"/>; the response once its headers are in.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var stream = new Http2Stream(this, request);
        RequestHeaders.BlockWriter block;
        bool hasBody;
        try
        {
            block = RequestHeaders.Encode(request, out hasBody);
        }
        catch
        {
            Release(); // a header HTTP/2 cannot carry: nothing was sent, the slot goes back
            throw;
        }

        if (hasBody)
        {
            stream.PrepareBody(ct);
        }

        try
        {
            Open(stream, block.WrittenSpan, endStream: !hasBody);
        }
        catch
        {
            stream.Abandon();
            throw;
        }
        finally
        {
            block.Clear();
        }

        return stream.RunAsync(ct);
    }

    /// <summary>Gives back a slot taken with <see cref="TryReserve"/> that no stream used.</summary>
    private void Release()
    {
        lock (_streams)
        {
            ReturnSlot();
        }
    }

    /// <summary>
    /// One slot back (under <c>_streams</c>; a closed connection has none to give back); true when that leaves a retired
    /// connection without streams, which the caller then closes.
    /// </summary>
    private bool ReturnSlot()
    {
        if (_closed is not null)
        {
            return false;
        }

        if (--_active == 0)
        {
            _idleSince = Environment.TickCount64;
        }

        return _active == 0 && _goingAway;
    }

    /// <summary>Gives the stream its identifier, registers it and appends its header block, all under the writer's lock.</summary>
    private void Open(Http2Stream stream, ReadOnlySpan<byte> block, bool endStream)
    {
        lock (_writer.Gate)
        {
            lock (_streams)
            {
                if (_closed is not null || _goingAway || _nextStreamId > MaxStreamId)
                {
                    // Closed or told to go away since the slot was taken, or out of identifiers: nothing was sent, so the
                    // request may go on another connection, body and all.
                    _goingAway = true;
                    ReturnSlot();
                    throw new NotProcessedException(_closed ?? new IOException("the HTTP/2 connection is going away"), bodyStarted: false);
                }

                stream.Id = _nextStreamId;
                _nextStreamId += 2;
                stream.SendWindow = _peerInitialWindow;
                stream.SendClosed = endStream;
                stream.Corked = !endStream;
                _streams.Add(stream.Id, stream);
            }

            var max = _peerMaxFrame;
            var first = true;
            do
            {
                var chunk = block[..Math.Min(block.Length, max)];
                block = block[chunk.Length..];
                var flags = block.IsEmpty ? FrameFlags.EndHeaders : FrameFlags.None;
                if (first && endStream)
                {
                    flags |= FrameFlags.EndStream;
                }

                _writer.Append(first ? FrameType.Headers : FrameType.Continuation, flags, stream.Id, chunk);
                first = false;
            }
            while (!block.IsEmpty);
        }

        if (endStream)
        {
            _writer.Flush();
        }
    }

    /// <summary>
    /// Writes what a corked stream appended (its HEADERS, and the body's frames of its first synchronous run) once that
    /// run has ended; a sender that appends after this writes itself.
    /// </summary>
    internal void Uncork(Http2Stream stream)
    {
        lock (_writer.Gate)
        {
            if (!stream.Corked)
            {
                return;
            }

            stream.Corked = false;
        }

        _writer.Flush();
    }

    /// <summary>
    /// Sends <paramref name="data"/> on <paramref name="stream"/> as DATA frames as the peer's windows allow, waiting for a
    /// WINDOW_UPDATE when they are spent; <paramref name="endStream"/> ends the stream with the last frame.
    /// </summary>
    internal async ValueTask SendDataAsync(Http2Stream stream, ReadOnlyMemory<byte> data, bool endStream, CancellationToken ct)
    {
        while (true)
        {
            Task? wait = null;
            var done = false;
            bool corked;
            lock (_writer.Gate)
            {
                corked = stream.Corked;
                stream.ThrowIfSendClosed();
                // DATA frames of at most 16 KB whatever the peer allows: one frame of its 16 MB maximum would pass MaxPending.
                var n = (int)Math.Min(Math.Min(data.Length, Math.Min(_peerMaxFrame, FrameHeader.DefaultMaxPayload)), Math.Min(stream.SendWindow, _sendWindow));
                if (!data.IsEmpty && _writer.IsFull)
                {
                    wait = _writer.WaitForRoom(); // the transport is behind: until the write takes what is pending
                }
                else if (n > 0 || (data.IsEmpty && endStream))
                {
                    n = Math.Max(n, 0);
                    var last = n == data.Length;
                    var flags = last && endStream ? FrameFlags.EndStream : FrameFlags.None;
                    _writer.Append(FrameType.Data, flags, stream.Id, data.Span[..n]);
                    stream.SendWindow -= n;
                    _sendWindow -= n;
                    data = data[n..];
                    done = last;
                    if (last && endStream)
                    {
                        stream.SendClosed = true;
                    }
                }
                else if (!data.IsEmpty)
                {
                    wait = stream.WaitForWindow();
                    if (_sendWindow <= 0 && !stream.WaitsForConnectionWindow)
                    {
                        stream.WaitsForConnectionWindow = true;
                        _windowWaiters.Add(stream);
                    }
                }
                else
                {
                    done = true;
                }

                if (wait is not null)
                {
                    // What a corked stream appended goes out before it waits: the write that makes room, and the peer's
                    // WINDOW_UPDATE for a stream it has seen, need it (a synchronous body write would otherwise wait here
                    // before RunAsync could uncork it).
                    stream.Corked = corked = false;
                }
            }

            if (!corked)
            {
                _writer.Flush();
            }

            if (done)
            {
                if (endStream)
                {
                    stream.OnSendClosed();
                }

                return;
            }

            if (wait is not null)
            {
                await wait.WaitAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Resets <paramref name="stream"/> with <paramref name="errorCode"/> (once) and forgets it.</summary>
    internal void Reset(Http2Stream stream, int errorCode)
    {
        lock (_writer.Gate)
        {
            if (stream.Id == 0 || stream.SendReset)
            {
                return;
            }

            stream.SendReset = true;
            stream.SendClosed = true;
            _writer.AppendRstStream(stream.Id, errorCode);
        }

        _writer.Flush();
        Forget(stream);
    }

    /// <summary>
    /// Gives <paramref name="count"/> bytes the reader of <paramref name="stream"/> has taken (or padding) back to its
    /// receive window, with a WINDOW_UPDATE once half the window is owed.
    /// </summary>
    internal void CreditStream(Http2Stream stream, int count)
    {
        var update = stream.TakeWindowCredit(count);
        if (update == 0)
        {
            return;
        }

        lock (_writer.Gate)
        {
            if (!stream.SendReset)
            {
                _writer.AppendWindowUpdate(stream.Id, update);
            }
        }

        _writer.Flush();
    }

    /// <summary>
    /// Counts a DATA frame's <paramref name="length"/> against the connection's receive window, giving it back as it
    /// arrives (read loop only). What a stream buffers is bounded by its own window, so the connection's is credited on
    /// receipt: a few streams whose readers are slow cannot hold every other stream's data back.
    /// </summary>
    private void ReceivedOnConnection(int length)
    {
        if (length > _connectionReceiveWindow)
        {
            throw new Http2ConnectionException(Http2Error.FlowControlError, "the peer sent more than the connection's window");
        }

        _connectionReceiveWindow -= length;
        _connectionUnacked += length;
        if (_connectionUnacked < ConnectionWindow / 2)
        {
            return;
        }

        _writer.SendWindowUpdate(0, _connectionUnacked);
        _connectionReceiveWindow += _connectionUnacked;
        _connectionUnacked = 0;
    }

    /// <summary>Drops a finished or reset stream and gives its slot back.</summary>
    internal void Forget(Http2Stream stream)
    {
        bool close;
        lock (_streams)
        {
            close = stream.Id != 0 && _streams.Remove(stream.Id) && ReturnSlot();
        }

        if (close)
        {
            Close();
        }
    }

    /// <summary>Ends the connection: a GOAWAY, then the stream closed; open streams fail.</summary>
    public void Close()
    {
        lock (_streams)
        {
            if (_closed is not null)
            {
                return;
            }
        }

        _writer.SendGoAway(0, Http2Error.NoError);
        Abort(new IOException("the HTTP/2 connection was closed"), lastWords: true);
    }

    /// <summary>How long a GOAWAY sent as a connection closes may take to be written before the transport is closed anyway.</summary>
    internal static readonly TimeSpan LastWordsTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Fails every open stream with <paramref name="reason"/> and closes the transport: at once, or with
    /// <paramref name="lastWords"/> once the frames pending (a GOAWAY) are written, within <see cref="LastWordsTimeout"/>.
    /// </summary>
    public void Abort(Exception reason, bool lastWords = false)
    {
        Http2Stream[] open;
        lock (_streams)
        {
            if (_closed is not null)
            {
                return;
            }

            _closed = reason;
            open = [.. _streams.Values];
            _streams.Clear();
            _active = 0;
        }

        _settingsReceived.TrySetException(reason);
        foreach (var stream in open)
        {
            stream.OnAborted(reason, processed: true);
        }

        if (lastWords)
        {
            _writer.CloseAfterWriting(CloseTransport, LastWordsTimeout);
        }
        else
        {
            CloseTransport();
        }
    }

    private void CloseTransport()
    {
        _writer.Release();
        _stream.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var reader = new FrameReader(_stream);
        try
        {
            while (await reader.ReadFrameAsync().ConfigureAwait(false) is { } frame)
            {
                // The caller's continuations run inline here (Http2Stream's waiters): marked, so that a synchronous
                // read or write among them fails rather than wait for this loop, which it would be blocking.
                var outer = t_onReadLoop;
                t_onReadLoop = true;
                try
                {
                    OnFrame(frame, reader.Payload);
                }
                finally
                {
                    t_onReadLoop = outer;
                }
            }

            Abort(new IOException("the peer closed the HTTP/2 connection"));
        }
        catch (Http2ConnectionException e)
        {
            _writer.SendGoAway(0, e.ErrorCode);
            Abort(new IOException(e.Message, e), lastWords: true);
        }
        catch (Exception e)
        {
            Abort(e is IOException ? e : new IOException("the HTTP/2 connection failed: " + e.Message, e));
        }
        finally
        {
            reader.Dispose();
        }
    }

    private void OnFrame(FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        switch (frame.Type)
        {
            case FrameType.Data:
                OnData(frame, payload);
                break;
            case FrameType.Headers:
                OnHeaders(frame, payload);
                break;
            case FrameType.RstStream:
                if (frame.StreamId == 0 || payload.Length != 4)
                {
                    throw new Http2ConnectionException(Http2Error.ProtocolError, "a malformed RST_STREAM");
                }

                Find(frame.StreamId)?.OnReset(BinaryPrimitives.ReadInt32BigEndian(payload));
                break;
            case FrameType.Settings:
                OnSettings(frame, payload);
                break;
            case FrameType.Ping:
                if (payload.Length != 8 || frame.StreamId != 0)
                {
                    throw new Http2ConnectionException(Http2Error.ProtocolError, "a malformed PING");
                }

                if (!frame.Has(FrameFlags.Ack))
                {
                    _writer.Send(FrameType.Ping, FrameFlags.Ack, 0, payload);
                }

                break;
            case FrameType.GoAway:
                OnGoAway(payload);
                break;
            case FrameType.WindowUpdate:
                OnWindowUpdate(frame, payload);
                break;
            case FrameType.PushPromise:
                throw new Http2ConnectionException(Http2Error.ProtocolError, "a PUSH_PROMISE, though push is disabled");
            case FrameType.Continuation:
                throw new Http2ConnectionException(Http2Error.ProtocolError, "a CONTINUATION without HEADERS");
            default:
                break; // PRIORITY and unknown types are ignored (RFC 9113 5.5).
        }
    }

    private Http2Stream? Find(int id)
    {
        lock (_streams)
        {
            return _streams.GetValueOrDefault(id);
        }
    }

    private void OnData(FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        if (frame.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2Error.ProtocolError, "DATA on stream 0");
        }

        var data = payload[frame.Content(payload)];
        var padding = payload.Length - data.Length;
        ReceivedOnConnection(payload.Length);
        var stream = Find(frame.StreamId);
        if (stream is null || !stream.OnData(data, payload.Length, frame.Has(FrameFlags.EndStream)))
        {
            return; // data nobody reads (a stream we reset): the connection's window has it back already
        }

        if (padding > 0)
        {
            CreditStream(stream, padding);
        }
    }

    private void OnHeaders(FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        if (frame.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2Error.ProtocolError, "HEADERS on stream 0");
        }

        var stream = Find(frame.StreamId);
        if (stream is { ReceiveEnded: true })
        {
            stream = null; // after the response's END_STREAM: STREAM_CLOSED, the block only keeps the table in step
        }

        try
        {
            // The block is decoded even for a stream we have forgotten: the peer's encoder changed its table for it.
            _decoder.Decode(payload, (IHpackSink?)stream ?? DiscardSink.Instance);
        }
        catch (HpackException e)
        {
            throw new Http2ConnectionException(Http2Error.CompressionError, "a header block that cannot be decoded: " + e.Message);
        }

        stream?.OnHeadersDone(frame.Has(FrameFlags.EndStream));
    }

    private void OnSettings(FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        if (frame.StreamId != 0 || payload.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2Error.FrameSizeError, "a malformed SETTINGS");
        }

        if (frame.Has(FrameFlags.Ack))
        {
            if (!payload.IsEmpty)
            {
                throw new Http2ConnectionException(Http2Error.FrameSizeError, "a SETTINGS acknowledgement with a payload");
            }

            return;
        }

        for (; !payload.IsEmpty; payload = payload[6..])
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(payload);
            var value = BinaryPrimitives.ReadUInt32BigEndian(payload[2..]);
            switch (id)
            {
                case SettingId.MaxConcurrentStreams:
                    lock (_streams)
                    {
                        _maxConcurrent = (int)Math.Min(value, int.MaxValue);
                    }

                    break;
                case SettingId.InitialWindowSize:
                    if (value > int.MaxValue)
                    {
                        throw new Http2ConnectionException(Http2Error.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
                    }

                    ChangeInitialWindow((int)value);
                    break;
                case SettingId.MaxFrameSize:
                    if (value is < FrameHeader.DefaultMaxPayload or > 16_777_215)
                    {
                        throw new Http2ConnectionException(Http2Error.ProtocolError, "SETTINGS_MAX_FRAME_SIZE out of range");
                    }

                    lock (_writer.Gate)
                    {
                        _peerMaxFrame = (int)value;
                    }

                    break;
                default:
                    break; // HEADER_TABLE_SIZE: our encoder keeps no table; unknown settings are ignored.
            }
        }

        _writer.Send(FrameType.Settings, FrameFlags.Ack, 0, []);
        _settingsReceived.TrySetResult();
    }

    private void ChangeInitialWindow(int value)
    {
        List<Http2Stream> woken = [];
        lock (_writer.Gate)
        {
            var delta = value - _peerInitialWindow;
            _peerInitialWindow = value;
            lock (_streams)
            {
                foreach (var stream in _streams.Values)
                {
                    stream.SendWindow += delta;
                    if (stream.SendWindow > int.MaxValue)
                    {
                        throw new Http2ConnectionException(Http2Error.FlowControlError, "a stream window above 2^31-1");
                    }

                    if (delta > 0)
                    {
                        woken.Add(stream);
                    }
                }
            }
        }

        foreach (var stream in woken)
        {
            stream.WindowOpened();
        }
    }

    private void OnWindowUpdate(FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 4)
        {
            throw new Http2ConnectionException(Http2Error.FrameSizeError, "a malformed WINDOW_UPDATE");
        }

        var increment = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF);
        if (frame.StreamId == 0)
        {
            if (increment == 0)
            {
                throw new Http2ConnectionException(Http2Error.ProtocolError, "a WINDOW_UPDATE of 0");
            }

            Http2Stream[] woken;
            lock (_writer.Gate)
            {
                _sendWindow += increment;
                if (_sendWindow > int.MaxValue)
                {
                    throw new Http2ConnectionException(Http2Error.FlowControlError, "the connection window above 2^31-1");
                }

                woken = [.. _windowWaiters];
                _windowWaiters.Clear();
                foreach (var stream in woken)
                {
                    stream.WaitsForConnectionWindow = false;
                }
            }

            foreach (var stream in woken)
            {
                stream.WindowOpened();
            }

            return;
        }

        if (Find(frame.StreamId) is not { } target)
        {
            return;
        }

        if (increment == 0)
        {
            target.StreamError(Http2Error.ProtocolError, "a WINDOW_UPDATE of 0");
            return;
        }

        bool overflow;
        lock (_writer.Gate)
        {
            target.SendWindow += increment;
            overflow = target.SendWindow > int.MaxValue;
        }

        if (overflow)
        {
            target.StreamError(Http2Error.FlowControlError, "a stream window above 2^31-1");
            return;
        }

        target.WindowOpened();
    }

    private void OnGoAway(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8)
        {
            throw new Http2ConnectionException(Http2Error.FrameSizeError, "a malformed GOAWAY");
        }

        var last = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF);
        var code = BinaryPrimitives.ReadInt32BigEndian(payload[4..]);
        List<Http2Stream> unprocessed = [];
        bool idle;
        lock (_streams)
        {
            _goingAway = true;
            idle = _active == 0;
            foreach (var (id, stream) in _streams)
            {
                if (id > last)
                {
                    unprocessed.Add(stream);
                }
            }
        }

        var reason = new HttpProtocolException(code, $"the peer is going away (GOAWAY, error code {code}); this stream was not processed", null);
        foreach (var stream in unprocessed)
        {
            stream.OnAborted(reason, processed: false); // its Forget closes the connection after the last one
        }

        if (idle)
        {
            Close();
        }
    }

    /// <summary>A header sink that drops what it is given (a forgotten stream's block).</summary>
    private sealed class DiscardSink : IHpackSink
    {
        public static readonly DiscardSink Instance = new();

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
        }
    }

    /// <summary>Reads whole frames (CONTINUATIONs joined to their HEADERS) from the transport into one pooled buffer.</summary>
    private sealed class FrameReader(Stream stream) : IDisposable
    {
        private const int BufferSize = 32 * 1024;

        private byte[]? _buffer;
        private int _start;
        private int _end;
        private byte[]? _block;
        private int _payloadStart;
        private int _frameEnd;
        private int _payloadLength;
        private int _blockLength;
        private bool _fromBlock;

        /// <summary>The frame's payload; a HEADERS frame's is its whole header block, padding and priority taken off.</summary>
        public ReadOnlySpan<byte> Payload => _fromBlock ? _block.AsSpan(0, _blockLength) : _buffer.AsSpan(_payloadStart, _payloadLength);

        public async ValueTask<FrameHeader?> ReadFrameAsync()
        {
            if (_fromBlock)
            {
                ArrayPool<byte>.Shared.Return(_block!);
                _block = null;
                _fromBlock = false;
            }

            var header = await NextAsync().ConfigureAwait(false);
            if (header is not { Type: FrameType.Headers } headers)
            {
                return header;
            }

            var flags = headers.Flags & ~FrameFlags.Padded & ~FrameFlags.Priority;
            var (offset, length) = headers.Content(_buffer.AsSpan(_payloadStart, _payloadLength)).GetOffsetAndLength(_payloadLength);
            _payloadStart += offset;
            _payloadLength = length;
            if (headers.Has(FrameFlags.EndHeaders))
            {
                return headers with { Length = length, Flags = flags };
            }

            // A header block split over CONTINUATION frames: joined in a block of its own, none of another type between.
            _block = ArrayPool<byte>.Shared.Rent(Math.Max(_payloadLength * 2, 4096));
            _blockLength = 0;
            Append(_buffer.AsSpan(_payloadStart, _payloadLength));
            while (true)
            {
                var next = await NextAsync().ConfigureAwait(false)
                    ?? throw new IOException("the peer closed the connection inside a header block");
                if (next.Type != FrameType.Continuation || next.StreamId != headers.StreamId)
                {
                    throw new Http2ConnectionException(Http2Error.ProtocolError, "a header block interrupted by another frame");
                }

                Append(_buffer.AsSpan(_payloadStart, _payloadLength));
                if (_blockLength > MaxHeaderList * 2)
                {
                    throw new Http2ConnectionException(Http2Error.ProtocolError, "a header block too large");
                }

                if (next.Has(FrameFlags.EndHeaders))
                {
                    break;
                }
            }

            _fromBlock = true;
            return new FrameHeader(_blockLength, FrameType.Headers, flags | FrameFlags.EndHeaders, headers.StreamId);
        }

        private void Append(ReadOnlySpan<byte> bytes)
        {
            if (_block!.Length - _blockLength < bytes.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent((_blockLength + bytes.Length) * 2);
                _block.AsSpan(0, _blockLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_block);
                _block = bigger;
            }

            bytes.CopyTo(_block.AsSpan(_blockLength));
            _blockLength += bytes.Length;
        }

        private async ValueTask<FrameHeader?> NextAsync()
        {
            _start = _frameEnd; // past the last frame, whatever of its payload Payload showed
            _payloadLength = 0;
            if (!await FillAsync(FrameHeader.Size).ConfigureAwait(false))
            {
                return null;
            }

            var header = FrameHeader.Read(_buffer.AsSpan(_start));
            if (header.Length > FrameHeader.DefaultMaxPayload)
            {
                throw new Http2ConnectionException(Http2Error.FrameSizeError, $"a frame of {header.Length} bytes, above our SETTINGS_MAX_FRAME_SIZE");
            }

            if (!await FillAsync(FrameHeader.Size + header.Length).ConfigureAwait(false))
            {
                throw new IOException("the peer closed the connection inside a frame");
            }

            _payloadStart = _start + FrameHeader.Size;
            _payloadLength = header.Length;
            _frameEnd = _payloadStart + header.Length;
            return header;
        }

        /// <summary>Reads until <paramref name="count"/> bytes from <c>_start</c> are buffered; false at a clean end of stream.</summary>
        private async ValueTask<bool> FillAsync(int count)
        {
            // One buffer for the connection's life (32 KB: a frame of our largest size and the next frame's start).
            _buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
            while (_end - _start < count)
            {
                if (_end == _start)
                {
                    _start = _end = 0;
                }
                else if (_buffer.Length - _start < count)
                {
                    _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }

                var read = await stream.ReadAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
                if (read == 0)
                {
                    if (_end == _start)
                    {
                        return false;
                    }

                    throw new IOException("the peer closed the connection inside a frame");
                }

                _end += read;
            }

            return true;
        }

        public void Dispose()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }

            if (_block is not null)
            {
                ArrayPool<byte>.Shared.Return(_block);
                _block = null;
            }
        }
    }
}

/// <summary>A connection error (RFC 9113 5.4.1): the connection is ended with a GOAWAY carrying <see cref="ErrorCode"/>.</summary>
internal sealed class Http2ConnectionException(int errorCode, string message) : Exception(message)
{
    public int ErrorCode { get; } = errorCode;
}
