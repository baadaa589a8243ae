using System.Net;
using Microsoft.AspNetCore.Builder;

namespace Weft.Proxy;

/// <summary>A started sidecar: the endpoints it bound (OS-assigned ports resolved) and how to stop it.</summary>
public sealed class RunningProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IAsyncDisposable[] _owned;
    private int _disposed;

    internal RunningProxy(WebApplication app, IPEndPoint outbound, IPEndPoint inbound, IPEndPoint admin, IAsyncDisposable[] owned)
    {
        _app = app;
        OutboundEndpoint = outbound;
        InboundEndpoint = inbound;
        AdminEndpoint = admin;
        _owned = owned;
    }

    /// <summary>Where the pod's app sends its traffic (HTTP proxy: absolute-form requests and CONNECT).</summary>
    public IPEndPoint OutboundEndpoint { get; }

    /// <summary>Where other sidecars send traffic for this pod.</summary>
    public IPEndPoint InboundEndpoint { get; }

    public IPEndPoint AdminEndpoint { get; }

    /// <summary>The listeners' bound sockets (tests close one to stop its accept loop).</summary>
    internal IReadOnlyList<System.Net.Sockets.Socket> ListenSockets { get; init; } = [];

    /// <summary>The idle trimmer, when the options turn it on; stopped before anything else.</summary>
    internal IdleTrim? IdleTrim { get; init; }

    /// <summary>The span exporter when tracing is on (tests read its counts).</summary>
    internal Tracing.OtlpExporter? TraceExporter { get; init; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (IdleTrim is { } idleTrim)
            {
                await idleTrim.DisposeAsync(); // first: no give-back while the listeners drain
            }

            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
            foreach (var owned in _owned)
            {
                await owned.DisposeAsync();
            }
        }
    }
}
