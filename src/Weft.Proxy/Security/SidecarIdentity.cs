using System.Net.Security;
using Microsoft.Extensions.Logging;
using Weft.Discovery.Identity;

namespace Weft.Proxy.Security;

/// <summary>
/// The sidecar's SPIFFE identity for mTLS: a <see cref="WorkloadIdentity"/> started in the background (it retries while
/// the control plane is unreachable), or a fixed snapshot (tests). The data paths read <see cref="Current"/> once per
/// handshake; before the first certificate arrives they wait for it, at most <see cref="FirstCertificateWait"/>.
/// </summary>
internal sealed class SidecarIdentity : IAsyncDisposable
{
    private readonly TaskCompletionSource<IdentitySnapshot> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _starting = Task.CompletedTask;
    private readonly IdentitySnapshot? _fixed;
    private WorkloadIdentity? _workload;
    private CachedContext? _context;

    private SidecarIdentity(IdentitySnapshot snapshot)
    {
        _fixed = snapshot;
        _first.SetResult(snapshot);
    }

    private SidecarIdentity(WorkloadIdentityOptions options, ILogger logger)
    {
        _starting = StartAsync(options, logger);
    }

    public static TimeSpan FirstCertificateWait { get; set; } = TimeSpan.FromSeconds(15);

    public IdentitySnapshot? Current => Volatile.Read(ref _workload)?.Current ?? _fixed;

    public static SidecarIdentity Fixed(IdentitySnapshot snapshot) => new(snapshot);

    public static SidecarIdentity Start(WorkloadIdentityOptions options, ILogger logger) => new(options, logger);

    /// <summary>The current identity, waiting (bounded) for the first one.</summary>
    public async ValueTask<IdentitySnapshot> WaitAsync(CancellationToken ct) =>
        Current ?? await _first.Task.WaitAsync(FirstCertificateWait, ct).ConfigureAwait(false);

    /// <summary>The certificate context of a snapshot, built once per snapshot (offline: the chain is the leaf alone).</summary>
    public SslStreamCertificateContext ContextOf(IdentitySnapshot snapshot)
    {
        var cached = Volatile.Read(ref _context);
        if (cached is not null && ReferenceEquals(cached.Snapshot, snapshot))
        {
            return cached.Context;
        }

        var context = SslStreamCertificateContext.Create(snapshot.Certificate, null, offline: true);
        Volatile.Write(ref _context, new CachedContext(snapshot, context));
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _starting.ConfigureAwait(false);
        if (_workload is { } workload)
        {
            await workload.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task StartAsync(WorkloadIdentityOptions options, ILogger logger)
    {
        try
        {
            var workload = await WorkloadIdentity.StartAsync(options, logger, _stop.Token).ConfigureAwait(false);
            Volatile.Write(ref _workload, workload);
            _first.TrySetResult(workload.Current);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            _first.TrySetCanceled();
        }
        catch (Exception e)
        {
            ProxyLog.IdentityFailed(logger, e.Message);
            _first.TrySetException(e);
        }
    }

    private sealed record CachedContext(IdentitySnapshot Snapshot, SslStreamCertificateContext Context);
}
