using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Weft.Proxy.Tests.Http1.Fuzzing;

/// <summary>
/// The fuzz inputs on the wire, to a real sidecar's inbound listener with its fast path on: every input is answered
/// with a status (the app's 200, or a client error: 400, 405, 408, 411, 413, 414, 417, 431, 501, 505) or the connection
/// closed without one; never a 5xx of the proxy's own making, never a crash, and a plain request afterwards is served.
/// Each input is followed by a blank line and 20,001 bytes of filler, so that a cut head or a short body comes whole
/// (and is answered) without the client closing its side, which Kestrel takes for an abort; one still waiting after
/// 3 s is closed, and then any answer (or none) will do. <c>WEFT_FUZZ_WIRE_INPUTS</c> sets how many (short form: 100);
/// <c>WEFT_FUZZ_SEED</c> and <c>WEFT_FUZZ_FROM</c> replay.
/// </summary>
public sealed class Http1WireFuzzTests
{
    private static readonly int[] ClientErrors = [400, 405, 408, 411, 413, 414, 417, 431, 501, 505];
    private static readonly byte[] Filler = Encoding.Latin1.GetBytes("\r\n\r\n" + new string('x', 20_001));

    [Fact]
    public async Task Every_generated_and_mutated_request_is_answered_with_a_status_or_a_close_and_the_sidecar_keeps_serving()
    {
        var seed = (int)Setting("WEFT_FUZZ_SEED", 15);
        var from = Setting("WEFT_FUZZ_FROM", 0);
        var count = Setting("WEFT_FUZZ_WIRE_INPUTS", 100);
        await using var app = ScriptedApp.Start(_ => ScriptedReply.Ok("ok"));
        await using var sidecar = await Sidecar.StartAsync(fastPath: true, activity: TimeSpan.FromSeconds(5));

        for (var index = from; index < from + count; index++)
        {
            var random = new Random(Http1Inputs.SeedOf(seed, index) ^ 0x3172E);
            var input = Http1Inputs.Request(random, out _, app.Port);
            var (answer, waited, hung) = await ExchangeAsync(sidecar, input);
            Assert.False(hung, $"seed {seed} wire input {index} (WEFT_FUZZ_FROM={index} WEFT_FUZZ_WIRE_INPUTS=1 replays it): no answer and no close in {Hang.TotalSeconds:0} s\n  input: {Http1Inputs.Show(input)}");
            var status = answer.Length >= 12 && answer.StartsWith("HTTP/1.1 ", StringComparison.Ordinal)
                && int.TryParse(answer.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : (int?)null;
            // A mutated weft-dst-port names a port where nothing listens: the sidecar's 502 is the right answer there.
            var namesTheApp = Encoding.Latin1.GetString(input).Contains($"\nweft-dst-port: {app.Port}\r\n", StringComparison.OrdinalIgnoreCase);
            Assert.True(waited || answer.Length == 0 || status == 200 || (status is int error && ClientErrors.Contains(error)) || (status == 502 && !namesTheApp),
                $"seed {seed} wire input {index} (WEFT_FUZZ_FROM={index} WEFT_FUZZ_WIRE_INPUTS=1 replays it): answered '{answer[..Math.Min(answer.Length, 200)]}'\n  input: {Http1Inputs.Show(input)}");
        }

        await using var client = await RawConnection.OpenAsync(sidecar.Inbound);
        await client.SendAsync(Sidecar.Get(app.Port, "/after"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
    }

    private static long Setting(string name, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>How long an exchange may take before it counts as a hang: far above the sidecar's 5 s activity timeout,
    /// so a machine busy with other work slows the test down instead of failing it.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Sends the input and the filler and reads the first answer's head (or up to the close); Waited: the answer's head was
    /// not whole within 3 s, so the client closed its side and read what came until the sidecar closed; Hung: not even
    /// that within <see cref="Hang"/>.
    /// </summary>
    private static async Task<(string Answer, bool Waited, bool Hung)> ExchangeAsync(Sidecar sidecar, byte[] input)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(Hang);
        await socket.ConnectAsync(sidecar.Inbound, deadline.Token);
        var sending = SendAsync(socket, [.. input, .. Filler], deadline.Token);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        var waited = false;
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        quiet.CancelAfter(TimeSpan.FromSeconds(3));
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, waited ? deadline.Token : quiet.Token);
            }
            catch (OperationCanceledException) when (!waited && !deadline.IsCancellationRequested)
            {
                waited = true; // still waiting for more of the request (or slow to answer): end it
                socket.Shutdown(SocketShutdown.Send);
                continue;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                await sending;
                return (Encoding.Latin1.GetString(received.ToArray()), waited, Hung: true);
            }
            catch (SocketException)
            {
                break; // a reset after (or instead of) an answer: what arrived before it counts
            }

            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
            if (received.ToArray().AsSpan().IndexOf("\r\n\r\n"u8) >= 0)
            {
                break; // the first answer's head is all this test reads
            }
        }

        await sending;
        return (Encoding.Latin1.GetString(received.ToArray()), waited, Hung: false);
    }

    private static async Task SendAsync(Socket socket, byte[] bytes, CancellationToken ct)
    {
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, ct);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The sidecar may answer (and close) before it has read everything: its answer is still there to read.
        }
    }
}
