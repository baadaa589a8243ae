using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Discovery.V1;
using Weft.Routing.Matching;
using Weft.Routing.Policy;

namespace Weft.Discovery.Internal;

/// <summary>
/// One (host, port) a proxy talks to: a WatchDestination stream kept open (resubscribing with backoff when it fails)
/// and the last good <see cref="DestinationEntry"/>, read without locks by the traffic path.
/// </summary>
internal sealed class DestinationSubscription : IAsyncDisposable
{
    private readonly V1.Discovery.DiscoveryClient _grpc;
    private readonly DestinationRequest _request;
    private readonly DiscoveryClient _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _firstUpdate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly long _created;
    private DestinationEntry? _entry;
    private long _lastUsed;
    private Task _run = Task.CompletedTask;
    private volatile bool _connected;
    private ulong _rejectedVersion;
    private string? _rejectedError;

    public DestinationSubscription(
        V1.Discovery.DiscoveryClient grpc,
        DestinationRequest request,
        DiscoveryClient settings,
        ILogger logger,
        TimeProvider time)
    {
        _grpc = grpc;
        _request = request;
        _settings = settings;
        _logger = logger;
        _time = time;
        _created = time.GetTimestamp();
        _lastUsed = _created;
    }

    public string Host => _request.Host;
    public int Port => _request.Port;

    public DestinationEntry? Entry => Volatile.Read(ref _entry);

    public TimeSpan IdleFor => _time.GetElapsedTime(Volatile.Read(ref _lastUsed));

    /// <summary>How long ago the subscription was made.</summary>
    public TimeSpan Age => _time.GetElapsedTime(_created);

    public DestinationState State
    {
        get
        {
            lock (_stop)
            {
                return new DestinationState(Host, Port, Entry, _connected, _rejectedVersion, _rejectedError);
            }
        }
    }

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    public void Touch() => Volatile.Write(ref _lastUsed, _time.GetTimestamp());

    /// <summary>Waits for the first update, but only within <see cref="DiscoveryClient.FirstUpdateTimeout"/> of the subscription's start.</summary>
    public async ValueTask<DestinationEntry?> WaitForFirstAsync(CancellationToken ct)
    {
        var remaining = _settings.FirstUpdateTimeout - _time.GetElapsedTime(_created);
        if (remaining > TimeSpan.Zero && !_firstUpdate.Task.IsCompleted)
        {
            try
            {
                await _firstUpdate.Task.WaitAsync(remaining, _time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The control plane is unreachable or slow: the caller decides what to do without a policy.
            }
        }

        return Entry;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        Log.Subscribing(_logger, Host, Port);
        await StreamWatch.RunAsync(
            ct => _grpc.WatchDestination(_request, cancellationToken: ct),
            Apply,
            connected => _connected = connected,
            (delay, error) => Log.StreamFailed(_logger, Host, Port, delay, error),
            _settings,
            _time,
            ct).ConfigureAwait(false);
    }

    private void Apply(DestinationUpdate update)
    {
        DestinationEntry next;
        try
        {
            next = Build(update);
        }
        catch (Exception e)
        {
            lock (_stop)
            {
                _rejectedVersion = update.Version;
                _rejectedError = e.Message;
            }

            Log.Rejected(_logger, Host, Port, update.Version, e.Message);
            _firstUpdate.TrySetResult();
            Report(update.Version, e.Message);
            return;
        }

        var first = Entry is null;
        Volatile.Write(ref _entry, next);
        Log.Applied(_logger, Host, Port, update.Version, next.Found);
        _firstUpdate.TrySetResult();
        Report(update.Version, error: null);
        if (first && !next.Found)
        {
            // Not a mesh destination: remembered for a short while without a stream (issue 15), not watched.
            _settings.NotFound(this, next);
        }
    }

    private DestinationEntry Build(DestinationUpdate update)
    {
        switch (update.Status)
        {
            case DestinationStatus.NotFound:
                return new DestinationEntry(null, update.Version) { Outside = DiscoveryClient.DeserializeOutside(update.OutsideJson.Span) };
            case DestinationStatus.Found:
                var policy = DiscoveryClient.Deserialize(update.PolicyJson.Span);
                var table = _settings.BuildTable(policy);
                return new DestinationEntry(table, update.Version) { Policy = policy };
            default:
                throw new InvalidDataException($"unknown destination status {update.Status}");
        }
    }

    private void Report(ulong version, string? error) => _settings.Report(new PolicyReport
    {
        ClientPod = _request.ClientPod,
        Host = Host,
        Port = Port,
        Version = version,
        Ack = error is null,
        Error = NackText.Of(error),
    });
}
