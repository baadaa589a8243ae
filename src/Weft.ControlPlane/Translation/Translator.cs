using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Objects;
using Weft.Routing;

namespace Weft.ControlPlane.Translation;

/// <summary>
/// Turns store snapshots into a <see cref="MeshModel"/> (the GAMMA rules live in Routing; this is only the loop):
/// a change after a quiet period is built at once (leading edge); further changes within <see cref="Debounce"/> of the
/// last build are coalesced into one more build, so a burst (a directory of files being written) costs two builds, not
/// one per change. Each build is published by swapping <see cref="Current"/>.
/// </summary>
public sealed class Translator : IAsyncDisposable
{
    private readonly ObjectStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _translateGate = new();
    private PublishedModel? _current;
    private Task _loop = Task.CompletedTask;
    private long _lastBuild;

    public Translator(ObjectStore store, ILogger logger, TimeProvider? time = null)
    {
        _store = store;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The mesh's default inbound policy, a setting of every model built (<see cref="MeshModel.DefaultInboundPolicy"/>).</summary>
    public string DefaultInboundPolicy { get; init; } = Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated;

    /// <summary>The mesh's default outbound policy, a setting of every model built (<see cref="MeshModel.DefaultOutboundPolicy"/>).</summary>
    public string DefaultOutboundPolicy { get; init; } = Weft.Routing.OutboundPolicies.AllowAny;

    /// <summary>The least time between two builds: changes arriving sooner are coalesced.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The newest model; read without locks.</summary>
    public PublishedModel Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("The translator has not started.");

    /// <summary>Builds the first model now, then follows the store.</summary>
    public void Start()
    {
        _store.Changed += OnStoreChanged;
        Translate();
        _lastBuild = _time.GetTimestamp();
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Completes once a model built from store version <paramref name="storeVersion"/> or later is published.</summary>
    public async Task WaitForStoreVersionAsync(long storeVersion, CancellationToken ct)
    {
        var published = Current;
        while (published.StoreVersion < storeVersion)
        {
            published = await published.NextAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _store.Changed -= OnStoreChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private void OnStoreChanged(object? sender, EventArgs e) => _changed.Writer.TryWrite(true);

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _changed.Reader.ReadAsync(ct).ConfigureAwait(false);
                var wait = Debounce - _time.GetElapsedTime(_lastBuild);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                }

                _changed.Reader.TryRead(out _);
                Translate();
                _lastBuild = _time.GetTimestamp();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private void Translate()
    {
        lock (_translateGate)
        {
            var snapshot = _store.Snapshot();
            var previous = Volatile.Read(ref _current);
            if (previous is not null && previous.StoreVersion >= snapshot.Version)
            {
                return;
            }

            MeshModel model;
            try
            {
                // One route edit must not cost a full rebuild: Update reuses what did not change (issue 6 fan-out target).
                model = previous is null ? MeshModel.Build(snapshot.Mesh, defaultInboundPolicy: DefaultInboundPolicy, defaultOutboundPolicy: DefaultOutboundPolicy) : previous.Model.Update(snapshot.Mesh);
            }
            catch (Exception e) when (previous is not null)
            {
                // A bug in the rules must not take the mesh down: keep serving the last model, but mark the
                // store version processed so that waiters do not hang.
                Log.TranslateFailed(_logger, snapshot.Version, e);
                model = previous.Model;
            }

            var next = new PublishedModel(model, (previous?.Version ?? 0) + 1, snapshot.Version);
            Volatile.Write(ref _current, next);
            previous?.Supersede(next);
            Log.Translated(_logger, snapshot.Version, next.Version);
        }
    }
}
