using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Translation;
using Weft.Discovery.V1;
using Weft.Routing;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// What one discovery stream sends: the status and its JSON (the policy; for a destination NOT_FOUND the client's
/// outbound policy).
/// </summary>
internal readonly record struct WatchAnswer(DestinationStatus Status, byte[] Json);

/// <summary>
/// Every discovery stream's change-detecting watch, evaluated by one loop: on each published model the loop asks every
/// stream's watch for its answer, in turn and without waiting on any stream, and wakes only the streams whose answer
/// changed. With thousands of streams, a model that changes a few policies then costs one pass of cheap lookups (the
/// model hands back the same policy instance while a destination is unchanged), not a wake-up, a cancellation
/// registration and a thread-pool item per stream (issue 18: at 50k Services, 20,000 streams woke for every model).
/// A stream is never waited for: its watch keeps only the newest answer not yet sent, so a slow or stalled client
/// misses intermediate answers, never the latest.
/// </summary>
internal sealed class ModelWatches(Translator translator, ILogger<ModelWatches> logger) : BackgroundService
{
    private readonly HashSet<Watch> _watches = [];
    private readonly Lock _gate = new();

    /// <summary>Live watches.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>
    /// Starts a watch: <paramref name="next"/> gives the stream's answer to a model (null for nothing to send: unchanged,
    /// or compiling failed and the client keeps what it has); it runs on the newest model at once, then on every model
    /// published after it, never on two models at a time. <paramref name="progress"/> records the newest model evaluated
    /// once the stream has handled every answer up to it (<see cref="Watch.Handled"/>). Dispose the watch when the stream ends.
    /// </summary>
    public Watch Add(Func<MeshModel, WatchAnswer?> next, SubscriptionRegistry.StreamProgress progress)
    {
        var watch = new Watch(this, next, progress);
        lock (_gate)
        {
            _watches.Add(watch);
        }

        // Added before reading the newest model: a model published after this read is evaluated by the loop, which takes
        // its list of watches only after that model is published.
        try
        {
            watch.Evaluate(translator.Current, logger);
        }
        catch
        {
            watch.Dispose();
            throw;
        }

        return watch;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A pass over the newest model first: the host may start this loop after models were published that watches added
        // before it have not been evaluated on (.NET runs all of ExecuteAsync in the background). A watch skips a model it
        // was already evaluated on.
        var published = translator.Current;
        var watches = new List<Watch>();
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                watches.AddRange(_watches);
            }

            var woken = 0;
            foreach (var watch in watches)
            {
                woken += watch.Evaluate(published, logger) ? 1 : 0;
            }

            // Not kept until the next model: a quiet cluster may publish none for days.
            var evaluated = watches.Count;
            watches.Clear();
            Log.WatchesEvaluated(logger, published.Version, evaluated, woken, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            try
            {
                published = await published.NextAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void Remove(Watch watch)
    {
        lock (_gate)
        {
            _watches.Remove(watch);
        }
    }

    /// <summary>
    /// One stream's watch: the newest answer not yet read, and the model version it was last evaluated on. The stream's
    /// progress says a version was evaluated only once every answer up to it has been handled by the stream (sent, or
    /// found equal to what it sent): a client that shows an evaluated version has been sent all that version asks for.
    /// </summary>
    internal sealed class Watch(ModelWatches owner, Func<MeshModel, WatchAnswer?> next, SubscriptionRegistry.StreamProgress progress) : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly Channel<(ulong Version, WatchAnswer Answer)> _answers = Channel.CreateBounded<(ulong, WatchAnswer)>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        private ulong _evaluated;

        // An answer was written and the stream has not yet said it is done with the newest one (Handled).
        private bool _busy;
        private bool _disposed;

        /// <summary>The newest model version evaluated (for tests: the loop has been through it).</summary>
        internal ulong EvaluatedVersion
        {
            get
            {
                lock (_gate)
                {
                    return _evaluated;
                }
            }
        }

        /// <summary>The next answer to send (the newest one given since the last read) and the model version it is for.</summary>
        public ValueTask<(ulong Version, WatchAnswer Answer)> ReadAsync(CancellationToken ct) => _answers.Reader.ReadAsync(ct);

        /// <summary>The stream is done with the answer it read last: when no newer one waits, every version evaluated so far is.</summary>
        public void Handled()
        {
            lock (_gate)
            {
                if (_answers.Reader.Count == 0)
                {
                    _busy = false;
                    progress.Evaluated(_evaluated);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
            }

            owner.Remove(this);
        }

        /// <summary>Evaluates <paramref name="published"/> unless a model as new was already; true when it gave an answer.</summary>
        internal bool Evaluate(PublishedModel published, ILogger logger)
        {
            lock (_gate)
            {
                if (_disposed || published.Version <= _evaluated)
                {
                    return false;
                }

                _evaluated = published.Version;
                WatchAnswer? answer;
                try
                {
                    answer = next(published.Model);
                }
                catch (Exception e)
                {
                    // next reports its own compile failures; anything else must not stop the other streams' watches.
                    Log.WatchFailed(logger, published.Version, e);
                    answer = null;
                }

                if (answer is { } a)
                {
                    _answers.Writer.TryWrite((published.Version, a));
                    _busy = true;
                    return true;
                }

                if (!_busy)
                {
                    progress.Evaluated(published.Version);
                }

                return false;
            }
        }
    }
}
