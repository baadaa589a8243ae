using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Weft.Reliability;

/// <summary>
/// Hostile local connections on every listener of the client's and a cart pod's sidecars (outbound, inbound, admin),
/// one listener at a time: a flood of idle connections, slowloris heads trickled a byte a second (plaintext listeners)
/// and 6-byte partial TLS ClientHellos (the inbound one), held while the client sends normal requests on new
/// connections. Normal requests must keep succeeding (≥ 99.9%), no sidecar may exit, and each sidecar's RSS must come
/// back near its idle figure once the attack's connections close.
/// </summary>
public sealed class ConnectionFloodTests(ITestOutputHelper output)
{
    /// <summary>
    /// Whether to attack this listener ("deployment/listener"): all of them, unless <c>WEFT_FLOOD_LISTENERS</c> names some
    /// (comma-separated, e.g. <c>client/outbound</c>), for a full-form run of one listener in a few minutes.
    /// </summary>
    private static bool Chosen(string listener) =>
        Environment.GetEnvironmentVariable("WEFT_FLOOD_LISTENERS") is not { Length: > 0 } chosen
        || chosen.Split(',', StringSplitOptions.TrimEntries).Contains(listener, StringComparer.Ordinal);

    /// <summary>A 6-byte TLS record header and handshake type: a ClientHello that never comes.</summary>
    private static readonly byte[] PartialClientHello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01];

    [Fact]
    public async Task Floods_slowloris_and_partial_handshakes_on_every_listener_leave_normal_requests_succeeding_and_rss_bounded()
    {
        await using var mesh = await SoakMesh.StartAsync(output);
        var pods = new[] { mesh.Client, mesh.Pods("cart-v1").First() };
        var pids = pods.ToDictionary(p => p.Name, p => mesh.ProcessesOf(p).Single(x => x.Role == "sidecar").Pid);
        var idle = pids.ToDictionary(p => p.Key, p => SoakMesh.RssMegabytes(p.Value) ?? 0);
        var failures = new List<string>();
        var perListener = Scale.Full ? Scale.Duration / 6 : TimeSpan.FromSeconds(2);

        foreach (var pod in pods)
        {
            foreach (var (name, port) in new[] { ("outbound", pod.Sidecar.Outbound), ("inbound", pod.Sidecar.Inbound), ("admin", pod.Sidecar.Admin) })
            {
                if (!Chosen($"{pod.Deployment}/{name}"))
                {
                    continue;
                }

                var target = new IPEndPoint(IPAddress.Parse(pod.IP), port);
                var attack = new Attack(target, tls: name == "inbound");
                var opened = await attack.OpenAsync(Scale.FloodConnections, Scale.SlowConnections);
                var peak = SoakMesh.RssMegabytes(pids[pod.Name]);

                using var load = new LoadGenerator(mesh.ClientProxy, SoakMesh.CartUrl, TimeSpan.FromMilliseconds(500));
                using var trickle = new CancellationTokenSource();
                var trickling = attack.TrickleAsync(trickle.Token);
                var result = await load.RunAsync(Math.Min(Scale.Rate, 200), perListener, CancellationToken.None);
                await trickle.CancelAsync();
                await trickling;
                var stillOpen = attack.StillOpen();
                attack.Dispose();

                var alive = mesh.ProcessesOf(pod).Any(x => x.Pid == pids[pod.Name]);
                double? settled = null;
                if (alive)
                {
                    settled = await SettleAsync(pids[pod.Name], idle[pod.Name]);
                }

                var ready = alive && await ReadyAsync(pod);
                var line = $"{pod.Deployment}/{name}";
                new Figures(output, "flood").Print(
                    ("listener", line), ("opened", opened.Flood), ("slow", opened.Slow), ("still-open-at-end", stillOpen),
                    ("success", $"{result.SuccessRatio * 100:0.###}%"), ("requests", result.Requests), ("alive", alive), ("ready-after", ready),
                    ("rss-idle", $"{idle[pod.Name]:0}MB"), ("rss-peak", $"{peak ?? 0:0}MB"), ("rss-after", $"{settled ?? 0:0}MB"),
                    ("outcomes", result.OutcomeList));
                if (result.SuccessRatio < 0.999)
                {
                    failures.Add($"{line}: normal requests {result.SuccessRatio:P3} ({result.OutcomeList})");
                }

                if (!alive)
                {
                    failures.Add($"{line}: the sidecar exited ({mesh.UpOutput().Split('\n').LastOrDefault(l => l.Contains("exited", StringComparison.Ordinal))})");
                    break;
                }

                if (settled > Bound(idle[pod.Name]))
                {
                    failures.Add($"{line}: RSS {settled:0} MB after the attack closed, idle {idle[pod.Name]:0} MB");
                }

                if (!ready)
                {
                    failures.Add($"{line}: the sidecar is not ready after the attack");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Back near idle: 1.5 times the idle RSS plus 64 MB (the runtime keeps some of what it grew).</summary>
    private static double Bound(double idle) => (idle * 1.5) + 64;

    /// <summary>The RSS once it is within <see cref="Bound"/>, or the last reading after 30 s.</summary>
    private static async Task<double?> SettleAsync(int pid, double idle)
    {
        var clock = Stopwatch.StartNew();
        double? rss;
        while ((rss = SoakMesh.RssMegabytes(pid)) > Bound(idle) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(250);
        }

        return rss;
    }

    private static async Task<bool> ReadyAsync(Weft.Cli.Local.PodState pod)
    {
        try
        {
            await SoakMesh.AdminAsync(pod, "/ready");
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The attack's sockets on one listener: idle ones, and slow ones fed a byte a second.</summary>
    private sealed class Attack(IPEndPoint target, bool tls) : IDisposable
    {
        private readonly List<Socket> _idle = [];
        private readonly List<Socket> _slow = [];

        /// <summary>Opens the connections (those the listener refuses or resets are counted out): how many are open.</summary>
        public async Task<(int Flood, int Slow)> OpenAsync(int flood, int slow)
        {
            await OpenManyAsync(_idle, flood, null);
            await OpenManyAsync(_slow, slow, tls ? PartialClientHello : "GET / HTTP/1.1\r\nHost: cart.soak\r\n"u8.ToArray());
            return (_idle.Count, _slow.Count);
        }

        /// <summary>One more header byte a second on each slowloris connection (the TLS ones stay silent).</summary>
        public async Task TrickleAsync(CancellationToken ct)
        {
            if (tls)
            {
                return;
            }

            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(ct))
                {
                    foreach (var socket in _slow.Where(s => s.Connected))
                    {
                        try
                        {
                            _ = socket.Send("X"u8);
                        }
                        catch (SocketException)
                        {
                            // Closed by the sidecar: what a deadline does.
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        /// <summary>How many attack connections the sidecar has not closed (a read would not see their end).</summary>
        public int StillOpen() => _idle.Concat(_slow).Count(s =>
        {
            try
            {
                return !(s.Poll(0, SelectMode.SelectRead) && s.Available == 0);
            }
            catch (SocketException)
            {
                return false;
            }
        });

        public void Dispose()
        {
            foreach (var socket in _idle.Concat(_slow))
            {
                socket.Dispose();
            }
        }

        private async Task OpenManyAsync(List<Socket> into, int count, byte[]? first)
        {
            const int Parallel = 64;
            for (var i = 0; i < count; i += Parallel)
            {
                var batch = await Task.WhenAll(Enumerable.Range(0, Math.Min(Parallel, count - i)).Select(_ => OpenOneAsync(first)));
                into.AddRange(batch.OfType<Socket>());
            }
        }

        private async Task<Socket?> OpenOneAsync(byte[]? first)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.ConnectAsync(target, timeout.Token);
                if (first is not null)
                {
                    await socket.SendAsync(first, timeout.Token);
                }

                return socket;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                return null;
            }
        }
    }
}
