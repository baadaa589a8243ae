using System.Net.Security;
using System.Net.Sockets;
using Weft.Proxy.Security;

namespace Weft.Proxy.L4;

/// <summary>
/// Copies bytes both ways between two streams until both directions end. End of stream on one side is passed on as a
/// half-close (TLS close_notify, TCP FIN, pipe completion), so request/response protocols that close their write side
/// first still get their answer; an error in either direction ends both. Once one direction has ended, the other ends
/// when no byte has moved either way for <see cref="HalfClosedIdle"/> (HAProxy's <c>timeout client-fin</c>): a client
/// that closed its side and went (a FIN, then a reset the sidecar no longer reads for) cannot hold the relay and its
/// backend connection for as long as a silent backend keeps it open.
/// </summary>
internal static class BytePump
{
    /// <param name="client">The side that opened the connection.</param>
    /// <param name="upstream">The side it was sent to.</param>
    /// <param name="ct">Ends both directions.</param>
    /// <param name="counts">Where the bytes are counted as they pass (read from the client, written to it); null counts nowhere.</param>
    /// <param name="halfClosedIdle">How long the direction left may go without a byte once the other has ended; <see cref="HalfClosedIdle"/> when null.</param>
    public static async Task<(long Up, long Down)> RunAsync(Stream client, Stream upstream, CancellationToken ct, Metrics.TcpSeries? counts = null, TimeSpan? halfClosedIdle = null)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var activity = new Activity();
        var up = CopyAsync(client, upstream, failed, counts is null ? null : counts.AddRead, activity);
        var down = CopyAsync(upstream, client, failed, counts is null ? null : counts.AddWritten, activity);
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        var other = first == up ? down : up;
        Volatile.Write(ref activity.LastTimestamp, System.Diagnostics.Stopwatch.GetTimestamp()); // the idle bound runs from the half-close
        var idle = halfClosedIdle ?? HalfClosedIdle;
        while (!other.IsCompleted && !failed.IsCancellationRequested)
        {
            var quiet = System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref activity.LastTimestamp));
            if (quiet >= idle)
            {
                await failed.CancelAsync().ConfigureAwait(false);
                break;
            }

            await Task.WhenAny(other, Task.Delay(idle - quiet, failed.Token)).ConfigureAwait(false);
        }

        await Task.WhenAll(up, down).ConfigureAwait(false);
        return (up.Result, down.Result);
    }

    /// <summary>How long a half-closed relay may go without a byte either way before it is ended (<see cref="RunAsync"/>).</summary>
    public static readonly TimeSpan HalfClosedIdle = TimeSpan.FromSeconds(60);

    /// <summary>When a byte last moved either way (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    private sealed class Activity
    {
        public long LastTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private static async Task<long> CopyAsync(Stream from, Stream to, CancellationTokenSource failed, Action<long>? count, Activity activity)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        long total = 0;
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, failed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                Volatile.Write(ref activity.LastTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
                await to.WriteAsync(buffer.AsMemory(0, n), failed.Token).ConfigureAwait(false);
                await to.FlushAsync(failed.Token).ConfigureAwait(false);
                total += n;
                count?.Invoke(n);
            }

            await ShutdownWritesAsync(to).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            await failed.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return total;
    }

    private static async ValueTask ShutdownWritesAsync(Stream stream)
    {
        switch (stream)
        {
            case SslStream ssl:
                await ssl.ShutdownAsync().ConfigureAwait(false);
                break;
            case NetworkStream network:
                network.Socket.Shutdown(SocketShutdown.Send);
                break;
            case DuplexPipeStream pipe:
                await pipe.CompleteWritesAsync().ConfigureAwait(false);
                break;
        }
    }
}
