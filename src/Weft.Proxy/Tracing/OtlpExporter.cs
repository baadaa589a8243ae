using System.Net.Http.Headers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Weft.Proxy.Tracing;

/// <summary>
/// Sends finished spans to an OTLP/HTTP collector (<c>POST /v1/traces</c>, <c>application/x-protobuf</c>), off the
/// request path: a request only queues its span (<see cref="Add"/>); one loop takes batches of up to
/// <see cref="MaxBatch"/> every <see cref="Interval"/> and posts them, each post bounded by <see cref="Timeout"/>. The
/// queue holds at most <see cref="QueueLimit"/> spans: past that a span is dropped and counted (<see cref="Dropped"/>),
/// so a slow or absent collector costs the requests nothing. A failed post is counted (<see cref="Failed"/>) and its
/// batch dropped: traces are best effort, and a retry queue would only hold memory while the collector is down. Any
/// failure of a send (the encoder's too) is counted and logged the same way, and the loop goes on. Spans are made at
/// most <see cref="SpansPerSecond"/> a second (<see cref="TryAdmit"/>, per sidecar); the ones refused are counted
/// (<see cref="Limited"/>).
/// </summary>
internal sealed partial class OtlpExporter : IAsyncDisposable
{
    public const int MaxBatch = 512;

    private readonly Channel<TraceSpan> _queue;
    private readonly Uri _endpoint;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _resource;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _flush = new();
    private readonly Task _loop;
    private readonly Action<ProtoWriter, IReadOnlyList<KeyValuePair<string, string>>, IReadOnlyList<TraceSpan>> _encode;
    private long _exported, _dropped, _failed, _admitted, _limited;
    private long _second;
    private int _inSecond;
    private bool _failing;

    /// <param name="collector">The collector's address.</param>
    /// <param name="resource">The resource attributes of every span.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where failed exports are logged.</param>
    /// <param name="interval">How long spans gather before a post.</param>
    /// <param name="timeout">The most a post may take.</param>
    /// <param name="queueLimit">The most spans queued.</param>
    /// <param name="spansPerSecond">The most spans made a second.</param>
    /// <param name="handler">The HTTP handler posts go through (tests); a socket handler without proxy when null.</param>
    /// <param name="encode">The encoder (tests); <see cref="OtlpTraceEncoder.Encode"/> when null.</param>
    public OtlpExporter(Uri collector, IReadOnlyList<KeyValuePair<string, string>> resource, TimeProvider time, ILogger logger,
        TimeSpan? interval = null, TimeSpan? timeout = null, int queueLimit = 2048, int spansPerSecond = DefaultSpansPerSecond,
        HttpMessageHandler? handler = null,
        Action<ProtoWriter, IReadOnlyList<KeyValuePair<string, string>>, IReadOnlyList<TraceSpan>>? encode = null)
    {
        SpansPerSecond = spansPerSecond;
        _encode = encode ?? OtlpTraceEncoder.Encode;
        _endpoint = TracesEndpoint(collector);
        _resource = resource;
        _time = time;
        _logger = logger;
        Interval = interval ?? TimeSpan.FromSeconds(1);
        Timeout = timeout ?? TimeSpan.FromSeconds(5);
        QueueLimit = queueLimit;
        _queue = Channel.CreateBounded<TraceSpan>(new BoundedChannelOptions(queueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        // Never through a proxy from the environment: the collector is named directly.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { UseProxy = false, ConnectTimeout = Timeout, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How long spans gather before a post (unless a batch fills first).</summary>
    public TimeSpan Interval { get; }

    /// <summary>The most a post (connect included) may take.</summary>
    public TimeSpan Timeout { get; }

    public int QueueLimit { get; }

    /// <summary>The default ceiling of spans made a second by one sidecar.</summary>
    public const int DefaultSpansPerSecond = 1000;

    /// <summary>The most spans made a second (both listeners together).</summary>
    public int SpansPerSecond { get; }

    /// <summary>Spans made (admitted under <see cref="SpansPerSecond"/>).</summary>
    public long Admitted => Interlocked.Read(ref _admitted);

    /// <summary>Spans not made because the second's <see cref="SpansPerSecond"/> were made already.</summary>
    public long Limited => Interlocked.Read(ref _limited);

    /// <summary>
    /// Whether one more span may be made this second: at most <see cref="SpansPerSecond"/> in each second of the clock,
    /// without a lock (a second's count is reset by whichever request first sees the new second; a race lets a few
    /// more through at the turn, never a flood). Asked only for a span about to be made.
    /// </summary>
    public bool TryAdmit()
    {
        var second = _time.GetTimestamp() / _time.TimestampFrequency;
        var current = Interlocked.Read(ref _second);
        if (second != current && Interlocked.CompareExchange(ref _second, second, current) == current)
        {
            Interlocked.Exchange(ref _inSecond, 0);
        }

        if (Interlocked.Increment(ref _inSecond) > SpansPerSecond)
        {
            Interlocked.Increment(ref _limited);
            return false;
        }

        Interlocked.Increment(ref _admitted);
        return true;
    }

    /// <summary>Spans the collector accepted.</summary>
    public long Exported => Interlocked.Read(ref _exported);

    /// <summary>Spans dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Spans whose post failed (collector down, an error status, a timeout).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Queues a finished span; never waits.</summary>
    public void Add(TraceSpan span)
    {
        if (!_queue.Writer.TryWrite(span))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary><c>/v1/traces</c> under the collector's address, unless it names a path of its own.</summary>
    internal static Uri TracesEndpoint(Uri collector) =>
        collector.AbsolutePath is "" or "/" ? new Uri(collector, "/v1/traces") : collector;

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var writer = new ProtoWriter();
        var batch = new List<TraceSpan>(MaxBatch);
        var ct = _stop.Token;
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                if (reader.Count < MaxBatch && !_flush.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(Interval, _time, _flush.Token);
                    }
                    catch (OperationCanceledException) when (_flush.IsCancellationRequested)
                    {
                        // Stopping: what is queued goes now.
                    }
                }

                await SendAsync(reader, writer, batch, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(ChannelReader<TraceSpan> reader, ProtoWriter writer, List<TraceSpan> batch, CancellationToken ct)
    {
        batch.Clear();
        while (batch.Count < MaxBatch && reader.TryRead(out var span))
        {
            batch.Add(span);
        }

        if (batch.Count == 0)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            writer.Reset();
            _encode(writer, _resource, batch);
            using var content = new ReadOnlyMemoryContent(writer.Written);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var response = await _http.PostAsync(_endpoint, content, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                Fail(batch.Count, $"the collector answered {(int)response.StatusCode}");
                return;
            }

            Interlocked.Add(ref _exported, batch.Count);
            _failing = false;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw; // stopping
        }
        catch (OperationCanceledException)
        {
            Fail(batch.Count, $"no answer within {Timeout.TotalSeconds:0.#} s");
        }
#pragma warning disable CA1031 // whatever a send throws, the loop must go on: traces are best effort
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(batch.Count, e is HttpRequestException ? e.Message : $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            batch.Clear(); // the spans (their strings) are not held until the next batch
            writer.Release();
        }
    }

    /// <summary>Counts a lost batch; logs when posts start failing, not at every one.</summary>
    private void Fail(int count, string reason)
    {
        Interlocked.Add(ref _failed, count);
        if (!_failing)
        {
            _failing = true;
            ExportFailed(_logger, count, _endpoint.ToString(), reason);
        }
    }

    /// <summary>Stops: the spans queued so far are posted (within <see cref="Timeout"/>), later ones are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _flush.CancelAsync();
        try
        {
            await _loop.WaitAsync(Timeout, _time);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync();
            await _loop;
        }

        _http.Dispose();
        _stop.Dispose();
        _flush.Dispose();
    }

    [LoggerMessage(60, LogLevel.Warning, "Trace export of {Count} spans to {Endpoint} failed: {Reason} (spans are dropped; logged again after a success)")]
    private static partial void ExportFailed(ILogger logger, int count, string endpoint, string reason);
}
