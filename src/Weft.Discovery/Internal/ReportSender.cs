using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Discovery.V1;

namespace Weft.Discovery.Internal;

/// <summary>
/// What the sidecar says of the versions it receives (ACK or NACK), every report of the sidecar's on one Reports stream
/// to the control plane (issue 18): the stream is authenticated once and each report is one message, where a Report call
/// per update cost the control plane more than pushing the update (at 5,000 sidecars, 95 µs of its CPU a call against
/// 27 µs a message). The stream is opened when there is a first report, and opened again with backoff when it fails;
/// reports wait meanwhile in a queue of at most <see cref="QueueLimit"/>, the oldest dropped first (a report is for
/// <c>weft status</c>; the newest of a stream says the most). A control plane that has no Reports (UNIMPLEMENTED, an
/// older one) is sent a Report call per report instead, as sidecars did before.
/// </summary>
internal sealed class ReportSender : IAsyncDisposable
{
    /// <summary>The most reports waiting for the stream.</summary>
    public const int QueueLimit = 1024;

    /// <summary>
    /// The response header a control plane sends as soon as it has accepted a Reports stream. Without it the response is
    /// a status alone (a refusal, or an older control plane's UNIMPLEMENTED), which gRPC's client knows only once the
    /// call is over: the sender waits for that status rather than write a report the stream would lose.
    /// </summary>
    public const string AcceptedHeader = "weft-reports-accepted";

    private readonly V1.Discovery.DiscoveryClient _grpc;
    private readonly DiscoveryClient _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<PolicyReport> _queue = Channel.CreateBounded<PolicyReport>(
        new BoundedChannelOptions(QueueLimit) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private volatile bool _unary;

    public ReportSender(V1.Discovery.DiscoveryClient grpc, DiscoveryClient settings, ILogger logger, TimeProvider time)
    {
        _grpc = grpc;
        _settings = settings;
        _logger = logger;
        _time = time;
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>True once the control plane has answered UNIMPLEMENTED to Reports: each report is a Report call.</summary>
    public bool Unary => _unary;

    /// <summary>Queues a report; it never waits.</summary>
    public void Send(PolicyReport report) => _queue.Writer.TryWrite(report);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await SendAllAsync(ct).ConfigureAwait(false);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Disposed: what is still queued is not sent.
        }
    }

    private async Task SendAllAsync(CancellationToken ct)
    {
        var backoff = _settings.InitialBackoff;
        PolicyReport? pending = null;
        while (!ct.IsCancellationRequested)
        {
            // A stream is opened only once there is something to say, and a report taken off the queue is kept until
            // it has been written.
            pending ??= await _queue.Reader.ReadAsync(ct).ConfigureAwait(false);
            if (_unary)
            {
                await ReportOnceAsync(pending, ct).ConfigureAwait(false);
                pending = null;
                continue;
            }

            try
            {
                using var call = _grpc.Reports(cancellationToken: ct);

                // The control plane sends its headers once it has authenticated the stream, so that a refusal (or an
                // older control plane's UNIMPLEMENTED) is known before any report is written and lost on it.
                var headers = await call.ResponseHeadersAsync.ConfigureAwait(false);
                if (headers.Get(AcceptedHeader) is null)
                {
                    // A status alone: awaiting the response throws it.
                    await call.ResponseAsync.ConfigureAwait(false);
                    throw new InvalidOperationException("the control plane ended the Reports stream without accepting it");
                }

                backoff = _settings.InitialBackoff;
                while (true)
                {
                    await call.RequestStream.WriteAsync(pending, ct).ConfigureAwait(false);
                    pending = await _queue.Reader.ReadAsync(ct).ConfigureAwait(false);
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
            {
                _unary = true;
                Log.ReportsUnimplemented(_logger);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is RpcException or IOException or InvalidOperationException)
            {
                // The stream or its connection failed: reports written on it may be lost (the watches fail with it, and
                // resubscribing brings a new version and so a new report); the one not yet written goes on the next.
                Log.ReportsFailed(_logger, backoff, e.Message);
                await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _settings.MaxBackoff.Ticks));
            }
        }
    }

    private async Task ReportOnceAsync(PolicyReport report, CancellationToken ct)
    {
        try
        {
            // gRPC deadlines are wall-clock by API.
            await _grpc.ReportAsync(report, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.ReportFailed(_logger, report.Inbound ? "(inbound)" : report.Host, report.Port, report.Version, e.Message);
        }
    }
}
