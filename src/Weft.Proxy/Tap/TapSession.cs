using System.Threading.Channels;
using Weft.Discovery.V1;

namespace Weft.Proxy.Tap;

/// <summary>
/// One tap reader's share of the hub: its filter, a bounded queue (an event that finds it full is dropped and counted,
/// so a slow reader never holds the data path), a most events per second (more are dropped and counted) and a most
/// events in all (the queue completes when it is reached).
/// </summary>
internal sealed class TapSession
{
    private readonly Channel<TapEvent> _queue;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new(); // only taken while this tap is open, never on the data path of an untapped proxy
    private long _window;
    private int _inWindow;
    private long _accepted;
    private long _dropped;

    public TapSession(TapFilter filter, int capacity, int maxPerSecond, long maxEvents, TimeSpan duration, TimeProvider time)
    {
        Filter = filter;
        MaxPerSecond = maxPerSecond;
        MaxEvents = maxEvents;
        Duration = duration;
        _time = time;
        _queue = Channel.CreateBounded<TapEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails at once when full: the event is dropped, not waited for
            SingleReader = true,
        });
    }

    public TapFilter Filter { get; }

    public int MaxPerSecond { get; }

    public long MaxEvents { get; }

    public TimeSpan Duration { get; }

    /// <summary>The events this tap reads, in order; completes after <see cref="MaxEvents"/>.</summary>
    public ChannelReader<TapEvent> Events => _queue.Reader;

    /// <summary>Events that matched but were not queued: over the rate, or the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Whether <see cref="MaxEvents"/> were queued (the queue is then complete).</summary>
    public bool Full => Interlocked.Read(ref _accepted) >= MaxEvents;

    /// <summary>Queues <paramref name="e"/> if it matches and the tap's bounds allow; false when it was not queued.</summary>
    public bool Offer(TapEvent e)
    {
        if (!Filter.Matches(e))
        {
            return false;
        }

        lock (_gate)
        {
            if (_accepted >= MaxEvents)
            {
                return false;
            }

            var second = _time.GetTimestamp() / _time.TimestampFrequency;
            if (second != _window)
            {
                _window = second;
                _inWindow = 0;
            }

            if (_inWindow >= MaxPerSecond || !_queue.Writer.TryWrite(e))
            {
                _dropped++;
                return false;
            }

            _inWindow++;
            if (++_accepted >= MaxEvents)
            {
                _queue.Writer.TryComplete();
            }

            return true;
        }
    }

    /// <summary>Ends the queue (the reader left, or its time is up): nothing more is queued.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
