using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Discovery.Identity;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;

namespace Weft.Proxy.Tap;

/// <summary>
/// A tap connection on the inbound listener (ALPN <see cref="TapWire.Alpn"/>, after the mTLS handshake): admitted only
/// when the peer proved <see cref="TapWire.ControlPlaneIdentity"/> of this sidecar's trust domain. It reads one
/// <see cref="TapRequest"/>, opens a tap on the <see cref="TapHub"/> and writes its events until the tap's count or time
/// is up or the control plane goes; the last event is a notice with why it ended and how many events were dropped. A
/// request with <see cref="TapRequest.StatWindowSeconds"/> set is a stat query instead (<c>weft stat</c>): answered with
/// one event holding its window, then closed.
/// </summary>
/// <param name="hub">The taps this endpoint opens.</param>
/// <param name="stat">The request series over a window (<see cref="Metrics.ProxyMetrics.Window"/>, which rounds and caps it).</param>
/// <param name="ownIdentity">This sidecar's SPIFFE ID (its trust domain names the control plane's).</param>
/// <param name="time">The clock of a tap's duration.</param>
/// <param name="logger">Where refusals and ended taps are logged.</param>
internal sealed class TapEndpoint(TapHub hub, Func<TimeSpan, StatWindow> stat, Func<string?> ownIdentity, TimeProvider time, ILogger logger)
{
    /// <summary>The largest tap request read (a few filter strings).</summary>
    public const int MaxRequestBytes = 4096;

    /// <summary>How long the control plane has to send its request once connected.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public async Task ServeAsync(Stream connection, string peerIdentity, EndPoint? remote, CancellationToken ct)
    {
        SpiffeId.TryGetTrustDomain(ownIdentity(), out var trustDomain);
        var expected = TapWire.ControlPlaneIdentity(trustDomain);
        if (!string.Equals(peerIdentity, expected, StringComparison.Ordinal))
        {
            ProxyLog.TapRefused(logger, remote?.ToString(), peerIdentity, expected);
            return; // closed without a word: the caller learns nothing of this pod's traffic
        }

        TapRequest? request;
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(RequestTimeout);
            request = await DelimitedMessages.ReadAsync(connection, TapRequest.Parser, MaxRequestBytes, wait.Token);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or Google.Protobuf.InvalidProtocolBufferException)
        {
            return;
        }

        if (request is null)
        {
            return;
        }

        if (request.StatWindowSeconds > 0)
        {
            await TryWriteAsync(connection, new TapEvent { Pod = hub.Pod, Stat = stat(TimeSpan.FromSeconds(request.StatWindowSeconds)) }, ct);
            return;
        }

        var session = hub.TryOpen(request);
        if (session is null)
        {
            await TryWriteAsync(connection, new TapEvent { Notice = $"{TapWire.LimitReached}: pod {hub.Pod} already runs {TapHub.MaxTaps} taps", Pod = hub.Pod }, ct);
            return;
        }

        long sent = 0;
        var outcome = "ended: the control plane left";
        try
        {
            using var bounded = new CancellationTokenSource(session.Duration, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, bounded.Token);
            try
            {
                await foreach (var e in session.Events.ReadAllAsync(linked.Token))
                {
                    await DelimitedMessages.WriteAsync(connection, e, linked.Token);
                    sent++;
                }

                outcome = TapWire.EndedMaxEvents;
            }
            catch (OperationCanceledException) when (bounded.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                outcome = TapWire.EndedDuration;
            }

            await TryWriteAsync(connection, new TapEvent { Notice = outcome, Dropped = (ulong)session.Dropped, Pod = hub.Pod }, ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the control plane went: nothing to tell it
        }
        finally
        {
            hub.Close(session);
            ProxyLog.TapEnded(logger, outcome, sent, session.Dropped);
        }
    }

    private static async Task TryWriteAsync(Stream connection, TapEvent notice, CancellationToken ct)
    {
        try
        {
            await DelimitedMessages.WriteAsync(connection, notice, ct);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
