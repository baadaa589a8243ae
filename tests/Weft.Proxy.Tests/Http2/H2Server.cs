using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Weft.Proxy.Tests.Http2;

/// <summary>Kestrel on 127.0.0.1 (a free port), HTTP/2 only unless asked, answering with <c>handler</c>.</summary>
internal sealed class H2Server : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Microsoft.AspNetCore.Connections.ConnectionContext> _connections = new();
    private int _requests;

    private H2Server(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<H2Server> StartAsync(
        Func<HttpContext, Task> handler, int maxStreams = 100, Action? onConnection = null, int maxRequestHeaders = 32 * 1024, bool http1Too = false)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        ListenOptions? bound = null;
        H2Server? server = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.MaxStreamsPerConnection = maxStreams;
            k.Limits.MaxRequestHeadersTotalSize = maxRequestHeaders;
            k.Limits.Http2.MaxRequestHeaderFieldSize = maxRequestHeaders;
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                bound = l;
                l.Protocols = http1Too ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
                l.Use(next => async connection =>
                {
                    onConnection?.Invoke();
                    server!._connections[connection.ConnectionId] = connection;
                    try
                    {
                        await next(connection);
                    }
                    finally
                    {
                        server._connections.TryRemove(connection.ConnectionId, out _);
                    }
                });
            });
        });
        var app = builder.Build();
        server = new H2Server(app);
        app.Run(context =>
        {
            Interlocked.Increment(ref server._requests);
            return handler(context);
        });
        await app.StartAsync();
        server.Port = ((IPEndPoint)bound!.EndPoint).Port;
        return server;
    }

    /// <summary>Asks Kestrel to close every connection it has: it sends GOAWAY and closes once its streams are done.</summary>
    public void CloseConnections()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()!.RequestClose();
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
