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
/// batch dropped: traces are best effort, and a retry queue would only hold memory while the collector is down.
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
    private long _exported, _dropped, _failed;
    private bool _failing;

    public OtlpExporter(Uri collector, IReadOnlyList<KeyValuePair<string, string>> resource, TimeProvider time, ILogger logger,
        TimeSpan? interval = null, TimeSpan? timeout = null, int queueLimit = 2048)
    {
        _endpoint = TracesEndpoint(collector);
        _resource = resource;
        _time = time;
        _logger = logger;
        Interval = interval ?? TimeSpan.FromSeconds(1);
        Timeout = timeout ?? TimeSpan.FromSeconds(5);
        QueueLimit = queueLimit;
        _queue = Channel.CreateBounded<TraceSpan>(new BoundedChannelOptions(queueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        // Never through a proxy from the environment: the collector is named directly.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = Timeout, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
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

        writer.Reset();
        OtlpTraceEncoder.Encode(writer, _resource, batch);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
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
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            Fail(batch.Count, e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0.#} s" : e.Message);
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
