using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Discovery.V1;
using Weft.Routing.Authorization;

namespace Weft.Discovery.Internal;

/// <summary>
/// The sidecar's own pod's inbound policy: a WatchInbound stream kept open (resubscribing with backoff when it fails, as
/// <see cref="DestinationSubscription"/> does) and the last good <see cref="InboundEntry"/>, read without locks by every
/// inbound request and connection. A version that does not build is NACKed and the last good entry kept.
/// </summary>
internal sealed class InboundWatch : IAsyncDisposable
{
    private readonly V1.Discovery.DiscoveryClient _grpc;
    private readonly InboundRequest _request;
    private readonly DiscoveryClient _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private InboundEntry? _entry;
    private Task _run = Task.CompletedTask;
    private volatile bool _connected;
    private ulong _rejectedVersion;
    private string? _rejectedError;

    public InboundWatch(V1.Discovery.DiscoveryClient grpc, string pod, DiscoveryClient settings, ILogger logger, TimeProvider time)
    {
        _grpc = grpc;
        _request = new InboundRequest { Pod = pod };
        _settings = settings;
        _logger = logger;
        _time = time;
    }

    public InboundEntry? Entry => Volatile.Read(ref _entry);

    public InboundState State
    {
        get
        {
            lock (_stop)
            {
                return new InboundState(_request.Pod, Entry, _connected, _rejectedVersion, _rejectedError);
            }
        }
    }

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

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

    private Task RunAsync(CancellationToken ct)
    {
        return StreamWatch.RunAsync(
            ct => _grpc.WatchInbound(_request, cancellationToken: ct),
            Apply,
            connected => _connected = connected,
            (delay, error) => Log.InboundStreamFailed(_logger, _request.Pod, delay, error),
            _settings,
            _time,
            ct);
    }

    private void Apply(InboundUpdate update)
    {
        InboundEntry next;
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

            Log.InboundRejected(_logger, _request.Pod, update.Version, e.Message);
            Report(update.Version, e.Message);
            return;
        }

        Volatile.Write(ref _entry, next);
        Log.InboundApplied(_logger, _request.Pod, update.Version, next.Found);
        Report(update.Version, error: null);
    }

    private InboundEntry Build(InboundUpdate update) => update.Status switch
    {
        DestinationStatus.NotFound => new InboundEntry(null, update.Version),
        DestinationStatus.Found => new InboundEntry(_settings.InboundTableBuilder(InboundPolicyJson.Deserialize(update.PolicyJson.Span)), update.Version),
        _ => throw new InvalidDataException($"unknown inbound policy status {update.Status}"),
    };

    private void Report(ulong version, string? error) =>
        _settings.Report(new PolicyReport { ClientPod = _request.Pod, Inbound = true, Version = version, Ack = error is null, Error = NackText.Of(error) });
}
