using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Discovery.V1;

namespace Weft.Discovery.Internal;

/// <summary>
/// What the sidecar says of the versions it receives (ACK or NACK), every report of the sidecar's on one Reports stream
/// to the control plane (issue 18): the stream is authenticated once and each report is one message, where a Report call
/// per update cost the control plane more than pushing the update (at 5,000 sidecars, 95 µs of its CPU a call against
/// 27 µs a message).
/// </summary>
/// <remarks>
/// <para>
/// What waits to be sent is the newest ACK and the newest NACK of each stream (inbound, or host and port), so it is
/// bounded by the sidecar's subscriptions and a stream's last report is never dropped for another's. The stream is
/// opened when there is something to send and the control plane has said (<see cref="AcceptedHeader"/>) it accepts it;
/// when it fails, what was not written waits for the next one, opened after an exponential backoff with jitter, as the
/// watches reopen theirs (<see cref="StreamWatch"/>); a stream that had lived a second or more and that the control plane
/// ended without an error is opened again at once. A wait for the headers or for a write longer than <see cref="StallTimeout"/>
/// (a control plane that accepted and stopped reading) counts as a failure.
/// </para>
/// <para>
/// A control plane without Reports (UNIMPLEMENTED: an older one, perhaps one replica of several during an upgrade) is
/// sent a Report call per report, as sidecars did before, and the stream is tried again after <see cref="UnaryFor"/>.
/// A report written on a stream whose connection then fails may be lost; the watches fail with the connection, and the
/// version each gets on resubscribing is reported again.
/// </para>
/// </remarks>
internal sealed class ReportSender : IAsyncDisposable
{
    /// <summary>
    /// The response header a control plane sends as soon as it has accepted a Reports stream. Without it the response is
    /// a status alone (a refusal, or an older control plane's UNIMPLEMENTED), which gRPC's client knows only once the
    /// call is over: the sender waits for that status rather than write a report the stream would lose.
    /// </summary>
    public const string AcceptedHeader = "weft-reports-accepted";

    /// <summary>How long the headers or one write may take before the stream is taken for stalled and opened again.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a control plane that answered UNIMPLEMENTED is sent Report calls before the stream is tried again.</summary>
    public static readonly TimeSpan UnaryFor = TimeSpan.FromMinutes(5);

    private readonly V1.Discovery.DiscoveryClient _grpc;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<(bool Inbound, string Host, int Port, bool Ack), PolicyReport> _pending = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly Backoff _backoff;
    private long _unaryUntil = long.MinValue;

    public ReportSender(V1.Discovery.DiscoveryClient grpc, DiscoveryClient settings, ILogger logger, TimeProvider time)
    {
        _grpc = grpc;
        _logger = logger;
        _time = time;
        _backoff = new Backoff(settings);
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>True while the control plane's UNIMPLEMENTED has the reports sent as Report calls.</summary>
    public bool Unary => _time.GetTimestamp() < Interlocked.Read(ref _unaryUntil);

    /// <summary>Queues a report, replacing an older one of the same kind for the same stream; it never waits.</summary>
    public void Send(PolicyReport report)
    {
        lock (_pending)
        {
            Keep(report);
        }

        _wake.Writer.TryWrite(true);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _stop.Dispose();
    }

    // Under the lock: the report replaces the one of its key unless that one is newer.
    private void Keep(PolicyReport report)
    {
        var key = (report.Inbound, report.Host.ToLowerInvariant(), report.Port, report.Ack);
        if (!_pending.TryGetValue(key, out var waiting) || waiting.Version <= report.Version)
        {
            _pending[key] = report;
        }
    }

    private List<PolicyReport> TakeAll()
    {
        lock (_pending)
        {
            List<PolicyReport> all = [.. _pending.Values];
            _pending.Clear();
            return all;
        }
    }

    private void PutBack(IEnumerable<PolicyReport> unsent)
    {
        lock (_pending)
        {
            foreach (var report in unsent)
            {
                Keep(report);
            }
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await SendAllAsync(ct).ConfigureAwait(false);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Disposed: what waits is not sent.
        }
    }

    private async Task SendAllAsync(CancellationToken ct)
    {
        while (true)
        {
            await _wake.Reader.ReadAsync(ct).ConfigureAwait(false);
            if (Unary)
            {
                foreach (var report in TakeAll())
                {
                    await ReportOnceAsync(report, ct).ConfigureAwait(false);
                }

                continue;
            }

            var opened = _time.GetTimestamp();
            string error;
            try
            {
                await StreamAsync(ct).ConfigureAwait(false);
                continue;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
            {
                Interlocked.Exchange(ref _unaryUntil, _time.GetTimestamp() + (long)(UnaryFor.TotalSeconds * _time.TimestampFrequency));
                Log.ReportsUnimplemented(_logger, UnaryFor);
                _wake.Writer.TryWrite(true);
                continue;
            }
            catch (StreamEndedException) when (_time.GetElapsedTime(opened) >= TimeSpan.FromSeconds(1))
            {
                // The control plane ended a stream that had lived: open the next one at once.
                _wake.Writer.TryWrite(true);
                continue;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                error = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
            }

            var delay = _backoff.Next();
            Log.ReportsFailed(_logger, delay, error);
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            _wake.Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// One Reports stream, open while it works: writes what waits, then waits for more. Throws when it fails; what was not
    /// written is put back first.
    /// </summary>
    private async Task StreamAsync(CancellationToken ct)
    {
        using var call = _grpc.Reports(cancellationToken: ct);
        // Stalls are measured on the wall clock, whatever clock the backoff runs on.
        var headers = await call.ResponseHeadersAsync.WaitAsync(StallTimeout, TimeProvider.System, ct).ConfigureAwait(false);
        if (headers.Get(AcceptedHeader) is null)
        {
            // A status alone: awaiting the response throws it.
            await call.ResponseAsync.WaitAsync(StallTimeout, TimeProvider.System, ct).ConfigureAwait(false);
            throw new StreamEndedException();
        }

        // Accepted: a later failure waits from the first step again.
        _backoff.Reset();
        while (true)
        {
            var batch = TakeAll();
            for (var i = 0; i < batch.Count; i++)
            {
                try
                {
                    await call.RequestStream.WriteAsync(batch[i], ct).WaitAsync(StallTimeout, TimeProvider.System, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    PutBack(batch.Skip(i));
                    if (e is InvalidOperationException && await EndedWithoutErrorAsync(call).ConfigureAwait(false))
                    {
                        // A call the control plane ended with OK refuses writes: it ended the stream itself.
                        throw new StreamEndedException();
                    }

                    throw;
                }
            }

            // Wait for more, or for the control plane to end the stream (it is stopping), which is then noticed before a
            // report is written on it.
            var more = _wake.Reader.WaitToReadAsync(ct).AsTask();
            if (await Task.WhenAny(more, call.ResponseAsync).ConfigureAwait(false) != more)
            {
                await call.ResponseAsync.ConfigureAwait(false);
                throw new StreamEndedException();
            }

            await more.ConfigureAwait(false);
            _wake.Reader.TryRead(out _);
        }
    }

    private static async Task<bool> EndedWithoutErrorAsync(AsyncClientStreamingCall<PolicyReport, ReportReply> call)
    {
        try
        {
            await call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(1), TimeProvider.System).ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private async Task ReportOnceAsync(PolicyReport report, CancellationToken ct)
    {
        try
        {
            // gRPC deadlines are wall-clock by API.
            await _grpc.ReportAsync(report, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Log.ReportFailed(_logger, report.Inbound ? "(inbound)" : report.Host, report.Port, report.Version, e.Message);
        }
    }

    /// <summary>The control plane ended the stream without an error.</summary>
    private sealed class StreamEndedException() : Exception("the control plane ended the Reports stream");
}
