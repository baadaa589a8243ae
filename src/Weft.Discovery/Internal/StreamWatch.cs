using Grpc.Core;

namespace Weft.Discovery.Internal;

/// <summary>
/// One server-streaming watch kept open until stopped, as every discovery subscription keeps its stream: each update is
/// applied in order as it arrives; when the stream fails or ends, the watch waits its <see cref="Backoff"/> and calls
/// again. What was applied stays in force while the control plane is away.
/// </summary>
internal static class StreamWatch
{
    /// <param name="open">Opens the stream.</param>
    /// <param name="apply">Applies one update (it does not wait: the update's report is queued, <see cref="ReportSender"/>).</param>
    /// <param name="connected">Told true on each update received, false while the stream is down.</param>
    /// <param name="failed">Told the delay before the next call and why the stream went down.</param>
    /// <param name="settings">The client whose backoff bounds apply.</param>
    /// <param name="time">The clock the delays run on.</param>
    /// <param name="ct">Stops the watch.</param>
    public static async Task RunAsync<TUpdate>(
        Func<CancellationToken, AsyncServerStreamingCall<TUpdate>> open,
        Action<TUpdate> apply,
        Action<bool> connected,
        Action<TimeSpan, string> failed,
        DiscoveryClient settings,
        TimeProvider time,
        CancellationToken ct)
    {
        var backoff = new Backoff(settings);
        while (!ct.IsCancellationRequested)
        {
            string error;
            try
            {
                using var call = open(ct);
                await foreach (var update in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    connected(true);
                    backoff.Reset();
                    apply(update);
                }

                error = "the control plane ended the stream";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e) when (ct.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
            {
                break;
            }
            catch (Exception e)
            {
                error = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
            }

            connected(false);
            var delay = backoff.Next();
            failed(delay, error);
            try
            {
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        connected(false);
    }
}
