using System.Buffers;
using System.Net;
using System.Net.Http;
using System.Text;

namespace Weft.Proxy.Http2;

/// <summary>
/// One request on an <see cref="Http2Connection"/>: its request body sent as DATA frames while the response may already
/// be arriving (gRPC's streams are full duplex), its response head given to the caller as soon as it is decoded, and its
/// response body kept in one pooled buffer, no larger than what is unread (at most the stream's window), until read.
/// </summary>
internal sealed class Http2Stream : IHpackSink
{
    private const string ContentLengthMismatch = "DATA that disagree with the response's content-length (RFC 9113 8.1.1)";

    private readonly Http2Connection _connection;
    private readonly HttpRequestMessage _request;
    // The head's and the body's waiters run their continuations on the read loop's thread, as an event loop would: the
    // caller's next step (YARP copying the head, or the bytes, to its client) starts without a thread-pool hop. Nothing
    // holds a lock of the connection's when they are completed.
    private readonly TaskCompletionSource<HttpResponseMessage> _head = new();
    private readonly object _sync = new();

    // The response, guarded by _sync unless said otherwise.
    private HttpResponseMessage? _response;
    private int _status;
    private bool _headDone; // after the head, a header block is the trailers
    private byte[]? _data;
    private int _dataStart;
    private int _dataCount;
    private bool _ended;
    private bool _disposed;
    private Exception? _error;
    private TaskCompletionSource? _dataWaiter;
    private int _receiveWindow = Http2Connection.StreamWindow;
    private int _credit;
    // The read loop's alone: the header block being decoded.
    private int _listSize;
    private bool _regularSeen; // a regular field came: no pseudo-header may follow (RFC 9113 8.3)
    private string? _malformed; // why the block is malformed (RFC 9113 8.1.1), found by OnHeader, acted on by OnHeadersDone
    // The read loop's alone: the head's content-length (-1: none, or a response that has no content) and the DATA so far.
    private long _contentLength = -1;
    private long _received;
    private CancellationTokenSource? _body; // set when the request has a body (PrepareBody)
    private TaskCompletionSource? _windowWaiter;

    public Http2Stream(Http2Connection connection, HttpRequestMessage request)
    {
        _connection = connection;
        _request = request;
    }

    /// <summary>The stream identifier, given when its HEADERS frame is appended.</summary>
    public int Id { get; set; }

    // Guarded by the connection's writer lock.
    public long SendWindow { get; set; }

    public bool SendClosed { get; set; }

    public bool SendReset { get; set; }

    /// <summary>Whether the stream is in the connection's list of senders waiting for its window; under the writer's lock.</summary>
    public bool WaitsForConnectionWindow { get; set; }

    /// <summary>
    /// While the body's first synchronous run appends its frames after the HEADERS, none of them is written: they go out
    /// together when <see cref="RunAsync"/> uncorks the stream (under the writer's lock).
    /// </summary>
    public bool Corked { get; set; }

    /// <summary>Whether the response has ended (END_STREAM or a failure); read by the read loop, which sets it.</summary>
    public bool ReceiveEnded
    {
        get
        {
            lock (_sync)
            {
                return _ended || _error is not null;
            }
        }
    }

    /// <summary>
    /// Before the stream's HEADERS go out: it will send a body, whose copy the response's end (or a failure) cancels. Set
    /// first, so that a refusal or an end arriving before <see cref="RunAsync"/> is seen by it.
    /// </summary>
    public void PrepareBody(CancellationToken ct)
    {
        lock (_sync)
        {
            _body = CancellationTokenSource.CreateLinkedTokenSource(ct);
        }
    }

    /// <summary>Starts sending the body (after <see cref="PrepareBody"/>, unless the stream has ended or failed already), and waits for the response head.</summary>
    public async Task<HttpResponseMessage> RunAsync(CancellationToken ct)
    {
        CancellationTokenSource? body;
        bool start;
        lock (_sync)
        {
            // A stream refused before this point leaves the body unread, so the request can go again elsewhere.
            body = _body;
            start = !_ended && _error is null;
        }

        if (body is not null)
        {
            if (start)
            {
                _ = SendBodyAsync(body);
            }
            else
            {
                body.Dispose();
            }

            // The HEADERS, and whatever of the body was at hand, in one write: a unary gRPC call's whole request is one
            // record instead of three (HEADERS, DATA, the empty DATA that ends the stream). Only a stream with a body
            // is corked (Open).
            _connection.Uncork(this);
        }

        try
        {
            return await _head.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Fail(new OperationCanceledException(ct), Http2Error.Cancel);
            throw;
        }
    }

    /// <summary>
    /// Copies the request body, then disposes <paramref name="body"/>: the copy is the one user of its token, and the
    /// source is linked to the caller's token, which may outlive a request whose head failed (no response to dispose).
    /// </summary>
    private async Task SendBodyAsync(CancellationTokenSource body)
    {
        var ct = body.Token;
        try
        {
            await _request.Content!.CopyToAsync(new RequestBody(this, ct), ct).ConfigureAwait(false);
            await _connection.SendDataAsync(this, ReadOnlyMemory<byte>.Empty, endStream: true, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            bool answered;
            lock (_sync)
            {
                answered = _ended && _error is null;
            }

            // The response already ended (the peer needs no more of the body): the stream is reset quietly.
            Fail(answered ? null : new IOException("the request body could not be sent: " + e.Message, e), Http2Error.Cancel);
        }
        finally
        {
            body.Dispose(); // CancelBody meets it disposed, later, and lets it be
        }
    }

    /// <summary>The stream was never opened (its HEADERS did not go out): the body prepared for it is let go unread.</summary>
    public void Abandon()
    {
        CancellationTokenSource? body;
        lock (_sync)
        {
            body = _body;
        }

        body?.Dispose();
    }

    /// <summary>Sends one piece of the request body (the body stream's writes).</summary>
    internal ValueTask WriteBodyAsync(ReadOnlyMemory<byte> data, CancellationToken ct) =>
        data.IsEmpty ? ValueTask.CompletedTask : _connection.SendDataAsync(this, data, endStream: false, ct);

    /// <summary>
    /// A synchronous write of the request body: it waits for the windows like <see cref="WriteBodyAsync"/>, but never on
    /// a read loop's thread, where only that loop could deliver the WINDOW_UPDATE. There it fails the stream instead
    /// (what fitted the windows may have gone out) and throws <see cref="NotSupportedException"/>.
    /// </summary>
    internal void WriteBody(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var pending = WriteBodyAsync(data, ct);
        if (pending.IsCompleted || !Http2Connection.OnReadLoop)
        {
            pending.AsTask().GetAwaiter().GetResult();
            return;
        }

        // Failing the stream cancels the body's token, which ends the pending write's wait for the window.
        var failure = new NotSupportedException("a synchronous write of an HTTP/2 request body would wait on the connection's read loop, which is running it; use WriteAsync");
        Fail(new IOException(failure.Message, failure), Http2Error.Cancel);
        _ = pending.AsTask();
        throw failure;
    }

    /// <summary>Throws when nothing more may be sent (END_STREAM or RST_STREAM sent, or the stream failed); under the writer's lock.</summary>
    public void ThrowIfSendClosed()
    {
        if (SendClosed)
        {
            throw new IOException("the HTTP/2 stream is closed for sending");
        }
    }

    /// <summary>A task that completes when a WINDOW_UPDATE or a SETTINGS change may have opened the window; under the writer's lock.</summary>
    public Task WaitForWindow()
    {
        lock (_sync)
        {
            _windowWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _windowWaiter.Task;
        }
    }

    public void WindowOpened()
    {
        TaskCompletionSource? waiter;
        lock (_sync)
        {
            waiter = _windowWaiter;
            _windowWaiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>After our END_STREAM: the stream is done once its response has ended too.</summary>
    public void OnSendClosed()
    {
        bool done;
        lock (_sync)
        {
            done = _ended;
        }

        if (done)
        {
            _connection.Forget(this);
        }
    }

    void IHpackSink.OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        _listSize += name.Length + value.Length + 32;
        if (_listSize > Http2Connection.MaxHeaderList)
        {
            return; // OnHeadersDone fails the stream
        }

        // RFC 9113 8.2.1: a malformed field is never kept; the block goes on being decoded, for the table's sake.
        if (!FieldSyntax.IsName(name) || !FieldSyntax.IsValue(value))
        {
            _malformed ??= "a field name or value that RFC 9113 8.2.1 forbids";
            return;
        }

        if (name[0] == (byte)':')
        {
            // RFC 9113 8.3: one :status, before every regular field, and not in trailers.
            if (_headDone || _regularSeen || _status != 0 || !name.SequenceEqual(":status"u8))
            {
                _malformed ??= "a pseudo-header other than one :status before the regular fields";
            }
            else if (value.Length == 3 && value[0] is >= (byte)'1' and <= (byte)'9' && value[1] is >= (byte)'0' and <= (byte)'9' && value[2] is >= (byte)'0' and <= (byte)'9')
            {
                _status = ((value[0] - '0') * 100) + ((value[1] - '0') * 10) + (value[2] - '0');
            }

            return;
        }

        _regularSeen = true;

        if (FieldSyntax.IsConnectionSpecific(name, value))
        {
            _malformed ??= "a connection-specific field, which RFC 9113 8.2.2 forbids";
            return;
        }

        if (!_headDone && _status < 200)
        {
            return; // an interim response's fields (103 Early Hints' link), or a block without :status (which then fails): not kept
        }

        if (!_headDone && name.SequenceEqual("content-length"u8) && !TakeContentLength(value))
        {
            _malformed ??= "a content-length that is not one number";
            return;
        }

        _response ??= NewResponse();
        var headerName = HeaderNames.Get(name);
        var headerValue = Encoding.Latin1.GetString(value);
        if (_headDone)
        {
            _response.TrailingHeaders.TryAddWithoutValidation(headerName, headerValue);
        }
        else if (!_response.Headers.TryAddWithoutValidation(headerName, headerValue))
        {
            _response.Content.Headers.TryAddWithoutValidation(headerName, headerValue);
        }
    }

    /// <summary>Takes the head's content-length: digits alone, and the same number when it comes again (RFC 9110 8.6).</summary>
    private bool TakeContentLength(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > 18 || value.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return false;
        }

        var length = 0L;
        foreach (var digit in value)
        {
            length = (length * 10) + (digit - '0');
        }

        if (_contentLength >= 0 && _contentLength != length)
        {
            return false;
        }

        _contentLength = length;
        return true;
    }

    /// <summary>Whether the DATA received, <paramref name="more"/> bytes on, disagree with the content-length (RFC 9113 8.1.1): past it, or short of it at the end.</summary>
    private bool BreaksContentLength(int more, bool end) =>
        _contentLength >= 0 && (_received + more > _contentLength || (end && _received + more != _contentLength));

    private HttpResponseMessage NewResponse() => new()
    {
        Version = HttpVersion.Version20,
        RequestMessage = _request,
        Content = new ResponseContent(this),
    };

    /// <summary>The end of a header block the connection decoded into this stream: the response head, an interim response, or trailers.</summary>
    public void OnHeadersDone(bool endStream)
    {
        var listSize = _listSize;
        var malformed = _malformed;
        _listSize = 0;
        _regularSeen = false;
        _malformed = null;
        if (listSize > Http2Connection.MaxHeaderList)
        {
            var message = $"the peer's header list is larger than {Http2Connection.MaxHeaderList / 1024} KB";
            Fail(new HttpRequestException(HttpRequestError.ConfigurationLimitExceeded, message, new HttpProtocolException(Http2Error.ProtocolError, message, null)), Http2Error.Cancel);
            return;
        }

        if (malformed is not null)
        {
            if (_headDone)
            {
                // The well-formed trailers before the malformed one were added as they came: none of the block is kept.
                _response?.TrailingHeaders.Clear();
            }

            ProtocolError(malformed);
            return;
        }

        if (_headDone)
        {
            if (!endStream)
            {
                ProtocolError("trailers without END_STREAM");
                return;
            }

            if (BreaksContentLength(0, end: true))
            {
                ProtocolError(ContentLengthMismatch);
                return;
            }

            OnEnd();
            return;
        }

        if (_status == 0)
        {
            ProtocolError("a response without :status");
            return;
        }

        if (_status < 200)
        {
            // 1xx: an interim response; its headers were not kept and the final one follows.
            _status = 0;
            if (endStream)
            {
                ProtocolError("an interim response with END_STREAM");
            }

            return;
        }

        if (_request.Method == HttpMethod.Head || _status is 204 or 304)
        {
            _contentLength = -1; // RFC 9113 8.1.1: a response without content may carry a content-length and no DATA
        }
        else if (endStream && BreaksContentLength(0, end: true))
        {
            ProtocolError(ContentLengthMismatch);
            return;
        }

        var response = _response ??= NewResponse();
        response.StatusCode = (HttpStatusCode)_status;
        _headDone = true;
        if (endStream)
        {
            OnEnd();
        }

        _head.TrySetResult(response);
    }

    /// <summary>A DATA frame's payload; false when the stream no longer reads (the connection credits the bytes itself).</summary>
    public bool OnData(ReadOnlySpan<byte> data, int frameLength, bool endStream)
    {
        HttpProtocolException? error = null;
        bool disposed;
        lock (_sync)
        {
            if (_ended || _error is not null)
            {
                return false;
            }

            disposed = _disposed;
            if (!_headDone)
            {
                error = new HttpProtocolException(Http2Error.ProtocolError, "the peer sent DATA before a response head", null);
            }
            else if (frameLength > _receiveWindow)
            {
                error = new HttpProtocolException(Http2Error.FlowControlError, "the peer sent more than the stream's window", null);
            }
            else if (BreaksContentLength(data.Length, endStream))
            {
                error = new HttpProtocolException(Http2Error.ProtocolError, "the peer broke HTTP/2: " + ContentLengthMismatch, null);
            }
            else if (!disposed)
            {
                _received += data.Length;
                // The whole frame counts against the window, padding too (RFC 9113 6.9.1); the padding is credited back.
                _receiveWindow -= frameLength;
                Append(data);
            }
        }

        if (error is not null)
        {
            Fail(error, (int)error.ErrorCode);
            return false;
        }

        if (disposed)
        {
            return false;
        }

        if (endStream)
        {
            OnEnd();
        }
        else
        {
            Wake();
        }

        return true;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_data is null)
        {
            _data = ArrayPool<byte>.Shared.Rent(data.Length);
            _dataStart = 0;
        }
        else if (_data.Length - _dataStart - _dataCount < data.Length)
        {
            var target = _data.Length - _dataCount >= data.Length ? _data : ArrayPool<byte>.Shared.Rent(_dataCount + data.Length);
            _data.AsSpan(_dataStart, _dataCount).CopyTo(target);
            if (!ReferenceEquals(target, _data))
            {
                ArrayPool<byte>.Shared.Return(_data);
                _data = target;
            }

            _dataStart = 0;
        }

        data.CopyTo(_data.AsSpan(_dataStart + _dataCount));
        _dataCount += data.Length;
    }

    private void OnEnd()
    {
        CancellationTokenSource? body;
        bool sendClosed;
        lock (_sync)
        {
            _ended = true;
            body = _body;
        }

        Wake();
        lock (_connection.Writer.Gate)
        {
            sendClosed = SendClosed;
        }

        if (sendClosed)
        {
            _connection.Forget(this);
        }
        else
        {
            // The response is complete before the request body: the peer wants no more of it.
            CancelBody(body);
        }
    }

    private void Wake()
    {
        TaskCompletionSource? waiter;
        lock (_sync)
        {
            waiter = _dataWaiter;
            _dataWaiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>How many bytes to give back to the peer's view of this stream's window now (a WINDOW_UPDATE), or 0.</summary>
    public int TakeWindowCredit(int count)
    {
        lock (_sync)
        {
            if (_ended || _error is not null)
            {
                return 0;
            }

            _credit += count;
            if (_credit < Http2Connection.StreamWindow / 2)
            {
                return 0;
            }

            var credit = _credit;
            _credit = 0;
            _receiveWindow += credit;
            return credit;
        }
    }

    /// <summary>
    /// Reads the response body: what is buffered, else waits for a DATA frame, the end, or a failure. A zero-byte read
    /// waits the same way and returns 0, so a reader (YARP's copier) can rent its buffer only once data is there.
    /// </summary>
    internal async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (true)
        {
            var read = Take(buffer.Span, out var wait);
            if (wait is null)
            {
                return read;
            }

            try
            {
                await wait.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Fail(new OperationCanceledException(ct), Http2Error.Cancel);
                throw;
            }
        }
    }

    /// <summary>
    /// A synchronous read of the response body: as <see cref="ReadAsync"/>, blocking for the next DATA frame, but never on
    /// a read loop's thread (a continuation the loop ran inline), where only that loop could deliver it: there, with
    /// nothing buffered, it throws <see cref="NotSupportedException"/> and leaves the stream as it was.
    /// </summary>
    internal int Read(Span<byte> buffer)
    {
        while (true)
        {
            var read = Take(buffer, out var wait);
            if (wait is null)
            {
                return read;
            }

            if (Http2Connection.OnReadLoop)
            {
                throw new NotSupportedException("a synchronous read of an HTTP/2 response body would wait on the connection's read loop, which is running it; use ReadAsync");
            }

            wait.GetAwaiter().GetResult();
        }
    }

    /// <summary>Takes what is buffered into <paramref name="buffer"/>; with nothing to take and no end yet, the task that the next DATA frame, the end or a failure completes.</summary>
    private int Take(Span<byte> buffer, out Task? wait)
    {
        wait = null;
        int read;
        lock (_sync)
        {
            if (_dataCount > 0)
            {
                // A zero-byte read returns 0 here: data is there to read.
                read = Math.Min(buffer.Length, _dataCount);
                _data.AsSpan(_dataStart, read).CopyTo(buffer);
                _dataStart += read;
                _dataCount -= read;
                if (_dataCount == 0)
                {
                    ArrayPool<byte>.Shared.Return(_data!);
                    _data = null;
                }
            }
            else if (_error is not null)
            {
                throw _error as IOException ?? new IOException(_error.Message, _error);
            }
            else if (_ended)
            {
                return 0;
            }
            else
            {
                _dataWaiter ??= new TaskCompletionSource();
                wait = _dataWaiter.Task;
                return 0;
            }
        }

        if (read > 0)
        {
            _connection.CreditStream(this, read);
        }

        return read;
    }

    /// <summary>The peer reset the stream; a refused one (REFUSED_STREAM) was not processed.</summary>
    public void OnReset(int errorCode) => OnAborted(
        new HttpProtocolException(errorCode, $"the peer reset the HTTP/2 stream (error code {errorCode})", null),
        processed: errorCode != Http2Error.RefusedStream);

    /// <summary>The peer ended the stream (a reset, the connection's end, or a GOAWAY below it): nothing more is sent on it, not even an RST_STREAM.</summary>
    public void OnAborted(Exception reason, bool processed)
    {
        lock (_connection.Writer.Gate)
        {
            SendClosed = true;
            SendReset = true;
        }

        Fail(reason, errorCode: null, processed);
    }

    private void ProtocolError(string message) => StreamError(Http2Error.ProtocolError, message);

    /// <summary>A stream error of the peer's (RFC 9113 5.4.2): the stream fails and is reset with <paramref name="errorCode"/>.</summary>
    public void StreamError(int errorCode, string message) =>
        Fail(new HttpProtocolException(errorCode, "the peer broke HTTP/2: " + message, null), errorCode);

    /// <summary>
    /// Ends the stream in failure (or quietly, with a null <paramref name="reason"/>): the head's waiter and the body's
    /// reader get <paramref name="reason"/>, the request body stops, and an RST_STREAM with <paramref name="errorCode"/>
    /// goes out when one is given and none went out yet.
    /// </summary>
    private void Fail(Exception? reason, int? errorCode, bool processed = true)
    {
        CancellationTokenSource? body;
        lock (_sync)
        {
            if (reason is not null && !_ended)
            {
                _error ??= reason;
            }

            body = _body;
        }

        CancelBody(body);
        if (errorCode is { } code)
        {
            _connection.Reset(this, code);
        }
        else
        {
            _connection.Forget(this);
        }

        if (reason is not null)
        {
            var failure = reason switch
            {
                OperationCanceledException => reason,
                _ when !processed => new NotProcessedException(reason, bodyStarted: body is not null),
                HttpRequestException => reason,
                _ => new HttpRequestException(HttpRequestError.HttpProtocolError, reason.Message, reason),
            };
            _head.TrySetException(failure);
        }
        else
        {
            _head.TrySetCanceled();
        }

        Wake();
    }

    /// <summary>The caller is done with the response: an unfinished stream is reset, and its buffered bytes go back.</summary>
    private void Dispose()
    {
        bool ended;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            ended = _ended && _error is null;
            if (_data is not null)
            {
                ArrayPool<byte>.Shared.Return(_data);
                _data = null;
                _dataCount = 0;
            }
        }

        if (!ended)
        {
            Fail(new ObjectDisposedException(nameof(HttpResponseMessage), "the response was disposed before its end"), Http2Error.Cancel);
        }

        CancellationTokenSource? body;
        lock (_sync)
        {
            body = _body;
        }

        body?.Dispose(); // CancelBody meets it disposed, later, and lets it be
    }

    /// <summary>Stops the request body's copy; the source may have been disposed with the response meanwhile.</summary>
    private static void CancelBody(CancellationTokenSource? body)
    {
        try
        {
            body?.Cancel();
        }
        catch (Exception e) when (e is ObjectDisposedException or AggregateException)
        {
            // Disposed with the response meanwhile, or a callback of the body's copy threw: the stream fails either way.
        }
    }

    /// <summary>The response's content: its body read from the stream, no length known in advance.</summary>
    private sealed class ResponseContent(Http2Stream stream) : HttpContent
    {
        private ResponseBody? _body;

        private ResponseBody Body => _body ??= new ResponseBody(stream);

        protected override Task SerializeToStreamAsync(Stream target, TransportContext? context) =>
            Body.CopyToAsync(target);

        protected override Task SerializeToStreamAsync(Stream target, TransportContext? context, CancellationToken cancellationToken) =>
            Body.CopyToAsync(target, cancellationToken);

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(Body);

        protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => Task.FromResult<Stream>(Body);

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => Body;

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                stream.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>The response body as a read-only stream.</summary>
    private sealed class ResponseBody(Http2Stream stream) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => stream.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            stream.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            return stream.Read(buffer.AsSpan(offset, count));
        }

        public override int Read(Span<byte> buffer) => stream.Read(buffer);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                stream.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>The request body as a write-only stream: each write becomes DATA frames as the windows allow.</summary>
    private sealed class RequestBody(Http2Stream stream, CancellationToken ct) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            stream.WriteBodyAsync(buffer, cancellationToken.CanBeCanceled ? cancellationToken : ct);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            stream.WriteBody(buffer.AsMemory(offset, count), ct);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>
/// The peer did not process the request (REFUSED_STREAM, a GOAWAY below its stream, or a connection closed before it was
/// sent): it may be sent again elsewhere, unless <see cref="BodyStarted"/> (a body cannot be read twice).
/// </summary>
internal sealed class NotProcessedException(Exception inner, bool bodyStarted)
    : HttpRequestException(HttpRequestError.HttpProtocolError, inner.Message, inner)
{
    public bool BodyStarted { get; } = bodyStarted;
}
