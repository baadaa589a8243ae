using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Weft.Bench.Scale;

/// <summary>
/// The scale benchmark's proxies, in processes of their own (<see cref="ScaleSubscribers"/> in each,
/// <c>Weft.Bench control-plane-scale-subscribers</c>), proxy p in process p mod K; one by default. The proxies of one
/// process share its GC, so each of its collections stalls them all at once, which no cluster does (each sidecar is a
/// process of its own): at 10k, with one process, 13-15 of 100 changes waited 24-159 ms for one. More processes stall
/// fewer changes, but on a machine of two CPUs they cost more CPU (each its own JIT, thread pool and GC), which slows
/// every push more. Each process writes when its streams saw a change, as <see cref="Stopwatch"/> timestamps, which are
/// the monotonic clock and so comparable across processes.
/// </summary>
/// <remarks>
/// The protocol, one line each way on standard input and output: <c>add NS POD TOKEN HOST:PORT...</c> (no answer);
/// <c>first</c> → <c>first N</c> (streams with their first policy); <c>expect ID OLD NEW</c> (markers in base64) →
/// <c>expected ID COUNT PAUSED_MS</c>, then, once every expected stream has the new marker, <c>seen ID PAUSED_MS T...</c>;
/// <c>updates ID</c> → <c>updates ID N</c>; <c>quit</c>. PAUSED_MS is the process's GC pauses so far: when the change was
/// armed, and when its last expected stream had it.
/// </remarks>
internal sealed class SubscriberProcesses : IAsyncDisposable
{
    private readonly Child[] _children;
    private int _nextChange;

    public SubscriberProcesses(int processes, int proxies, int streamsPerProxy, Uri controlPlane, string trustBundle, IReadOnlyList<string> flags)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(processes, 1);
        _children = new Child[processes];
        try
        {
            for (var c = 0; c < processes; c++)
            {
                var streams = ((proxies - c + processes - 1) / processes) * streamsPerProxy;
                _children[c] = new Child(Start(controlPlane, trustBundle, streams, flags));
            }
        }
        catch
        {
            foreach (var child in _children.Where(c => c is not null))
            {
                child.Kill();
            }

            throw;
        }

        Streams = proxies * streamsPerProxy;
    }

    public int Streams { get; }

    public int Count => _children.Length;

    /// <summary>The processes' CPU time so far, in ms (<see cref="ProcessCpu"/>).</summary>
    public double CpuMs() => _children.Sum(c => ProcessCpu.Ms(c.Process.Id));

    public Task AddAsync(int proxy, string ns, string pod, string token, IEnumerable<(string Host, int Port)> destinations) =>
        _children[proxy % _children.Length].SendAsync($"add {ns} {pod} {token} {string.Join(' ', destinations.Select(d => $"{d.Host}:{d.Port}"))}");

    /// <summary>Streams with their first policy, in every process.</summary>
    public async Task<int> WithFirstAsync()
    {
        var sum = 0;
        foreach (var child in _children)
        {
            sum += int.Parse((await child.AskAsync("first", "first", 2).ConfigureAwait(false))[1], CultureInfo.InvariantCulture);
        }

        return sum;
    }

    /// <summary>Arms a change in every process: the streams whose last policy holds <paramref name="oldMarker"/> must receive <paramref name="newMarker"/>.</summary>
    public async Task<Change> ExpectAsync(string oldMarker, string newMarker)
    {
        var id = ++_nextChange;
        var (old, fresh) = (Convert.ToBase64String(Encoding.UTF8.GetBytes(oldMarker)), Convert.ToBase64String(Encoding.UTF8.GetBytes(newMarker)));
        var change = new Change(id);
        foreach (var child in _children)
        {
            var seen = child.Arm(id);
            var reply = await child.AskAsync($"expect {id} {old} {fresh}", "expected", 4, id).ConfigureAwait(false);
            change.Add(child, int.Parse(reply[2], CultureInfo.InvariantCulture), Double(reply[3]), seen);
        }

        return change;
    }

    /// <summary>Every update received since <paramref name="change"/> was armed, expected or not, in every process.</summary>
    public async Task<int> UpdatesAsync(Change change)
    {
        var updates = 0;
        foreach (var child in _children)
        {
            updates += int.Parse((await child.AskAsync($"updates {change.Id}", "updates", 3, change.Id).ConfigureAwait(false))[2], CultureInfo.InvariantCulture);
        }

        return updates;
    }

    public async ValueTask DisposeAsync()
    {
        // Every child is told to quit and waited for (killed if it does not go), whatever another one did.
        List<Exception> errors = [];
        foreach (var child in _children)
        {
            try
            {
                await child.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("stopping the subscribers' processes", errors);
        }
    }

    /// <summary>The subscribers' process (<c>control-plane-scale-subscribers</c>): one <see cref="ScaleSubscribers"/>, driven by the lines above.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var address = new Uri(args[Array.IndexOf(args, "--address") + 1]);
        var roots = ScaleSubscribers.Roots(args[Array.IndexOf(args, "--bundle") + 1]);
        await using var subscribers = new ScaleSubscribers(ScaleBenchmark.IntArg(args, "--streams", 0))
        {
            UnaryReports = args.Contains("--unary-reports"),
            NoReports = args.Contains("--no-reports"),
            ReportDelay = TimeSpan.FromMilliseconds(ScaleBenchmark.IntArg(args, "--report-delay", 0)),
        };
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            var words = line.Split(' ');
            switch (words[0])
            {
                case "add":
                    subscribers.Add(address, roots, words[1], words[2], words[3], [.. words[4..].Select(HostPort)]);
                    break;
                case "first":
                    Reply($"first {subscribers.WithFirst}");
                    break;
                case "expect":
                    var id = words[1];
                    var change = subscribers.Expect(Encoding.UTF8.GetString(Convert.FromBase64String(words[2])), Encoding.UTF8.GetString(Convert.FromBase64String(words[3])), id);
                    Reply($"expected {id} {change.Expected} {PausedMs()}");
                    if (change.Expected > 0)
                    {
                        _ = change.All.ContinueWith(_ => Reply($"seen {id} {Ms(change.PausedAtLast)} {string.Join(' ', change.SeenTimestamps)}"), TaskScheduler.Default);
                    }

                    break;
                case "updates":
                    Reply($"updates {words[1]} {subscribers.UpdatesOf(words[1])}");
                    break;
                default:
                    return 0;
            }
        }

        return 0;
    }

    private static (string Host, int Port) HostPort(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        return (hostPort[..colon], int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    private static string PausedMs() => Ms(GC.GetTotalPauseDuration());

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture);

    private static void Reply(string line)
    {
        // Console.Out is synchronised: a seen line written from a continuation never interleaves with a reply.
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    private static double Double(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static Process Start(Uri controlPlane, string trustBundle, int streams, IReadOnlyList<string> flags) =>
        Process.Start(ScaleBenchmark.Self(["control-plane-scale-subscribers", "--address", controlPlane.ToString(), "--bundle", trustBundle, "--streams", $"{streams}", .. flags]))
            ?? throw new InvalidOperationException("could not start a subscribers' process");

    /// <summary>One change armed in every process: what each expects, and when each stream of theirs had it.</summary>
    internal sealed class Change(int id)
    {
        private readonly List<(Child Child, int Expected, double PausedMs, Task<(double PausedMs, long[] At)> Seen)> _parts = [];

        public int Id => id;

        public int Expected => _parts.Sum(p => p.Expected);

        /// <summary>Completes when every expected stream, in every process, has the new marker.</summary>
        public Task All => Task.WhenAll(_parts.Where(p => p.Expected > 0).Select(p => p.Seen));

        /// <summary>Milliseconds from <paramref name="t0"/> until the last expected stream had it (once <see cref="All"/> is done).</summary>
        public double LastMs(long t0) => Stopwatch.GetElapsedTime(t0, Seen().DefaultIfEmpty(t0).Max()).TotalMilliseconds;

        public IEnumerable<double> EachMs(long t0) => Seen().Select(t => Stopwatch.GetElapsedTime(t0, t).TotalMilliseconds);

        /// <summary>
        /// The longest time the GC paused one of the processes that had streams to wait for, from the change's arming until
        /// its last such stream had it (once <see cref="All"/> is done).
        /// </summary>
        public double LongestPauseMs() => Done().Select(p => p.Seen.Result.PausedMs - p.PausedMs).DefaultIfEmpty(0).Max();

        /// <summary>Stops waiting for the processes' seen lines (a change given up on).</summary>
        public void Disarm()
        {
            foreach (var part in _parts)
            {
                part.Child.Disarm(id);
            }
        }

        internal void Add(Child child, int expected, double pausedMs, Task<(double PausedMs, long[] At)> seen)
        {
            if (expected == 0)
            {
                child.Disarm(id);
            }

            _parts.Add((child, expected, pausedMs, seen));
        }

        private IEnumerable<long> Seen() => Done().SelectMany(p => p.Seen.Result.At);

        /// <summary>The processes that had streams to wait for and said when they had it.</summary>
        private IEnumerable<(Child Child, int Expected, double PausedMs, Task<(double PausedMs, long[] At)> Seen)> Done() =>
            _parts.Where(p => p.Expected > 0 && p.Seen.IsCompletedSuccessfully);
    }

    /// <summary>One subscribers' process: its replies in order, and its seen lines by change.</summary>
    internal sealed class Child : IAsyncDisposable
    {
        private readonly Channel<string[]> _replies = Channel.CreateUnbounded<string[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly ConcurrentDictionary<int, TaskCompletionSource<(double PausedMs, long[] At)>> _armed = new();
        private readonly Task _reading;

        public Child(Process process)
        {
            Process = process;
            _reading = Task.Run(ReadAsync);
        }

        public Process Process { get; }

        public async Task SendAsync(string line)
        {
            await Process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
            await Process.StandardInput.FlushAsync().ConfigureAwait(false);
        }

        /// <summary>
        /// Sends a line and reads its answer, which must be <paramref name="answer"/> and <paramref name="words"/> words in
        /// all, the second <paramref name="id"/> when given; anything else (none: the process exited) throws.
        /// </summary>
        public async Task<string[]> AskAsync(string line, string answer, int words, int? id = null)
        {
            await SendAsync(line).ConfigureAwait(false);
            var reader = _replies.Reader;
            var reply = await reader.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false) && reader.TryRead(out var r) ? r : null;
            return reply is not null && reply.Length == words && reply[0] == answer && (id is null || reply[1] == $"{id}")
                ? reply
                : throw new InvalidOperationException($"a subscribers' process answered '{string.Join(' ', reply ?? ["(nothing: it exited)"])}' to {line.Split(' ')[0]}");
        }

        public Task<(double PausedMs, long[] At)> Arm(int id) =>
            _armed.GetOrAdd(id, _ => new TaskCompletionSource<(double, long[])>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Disarm(int id) => _armed.TryRemove(id, out _);

        public void Kill()
        {
            try
            {
                Process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await SendAsync("quit").ConfigureAwait(false);
            }
            catch (IOException)
            {
            }

            if (!Process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                Kill();
            }

            await _reading.ConfigureAwait(false);
            Process.Dispose();
        }

        private async Task ReadAsync()
        {
            try
            {
                while (await Process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
                {
                    var words = line.Split(' ');
                    if (words[0] == "seen")
                    {
                        // A change given up on (timed out) was disarmed: its late line finds nothing.
                        if (_armed.TryRemove(int.Parse(words[1], CultureInfo.InvariantCulture), out var seen))
                        {
                            seen.TrySetResult((Double(words[2]), [.. words[3..].Select(t => long.Parse(t, CultureInfo.InvariantCulture))]));
                        }
                    }
                    else
                    {
                        _replies.Writer.TryWrite(words);
                    }
                }
            }
            finally
            {
                _replies.Writer.TryComplete();
                foreach (var seen in _armed.Values)
                {
                    seen.TrySetException(new InvalidOperationException("a subscribers' process exited"));
                }
            }
        }
    }
}
