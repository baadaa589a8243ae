using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Weft.Proxy.Tests.Infrastructure;

/// <summary>A tiny app on loopback that answers with what it received (method, path, query, headers) and its name.</summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, string name, int port)
    {
        _app = app;
        Name = name;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>Every request received, in arrival order.</summary>
    public ConcurrentQueue<EchoedRequest> Received { get; } = new();

    /// <summary>
    /// The request bodies received (UTF-8), in arrival order, when <see cref="RecordBodies"/> is set; a body is stored
    /// before its request shows in <see cref="Received"/> and <see cref="Count"/>.
    /// </summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    public bool RecordBodies { get; set; }

    /// <summary>The HTTP versions of the requests received (e.g. HTTP/2).</summary>
    public ConcurrentQueue<string> Protocols { get; } = new();

    /// <summary>
    /// Replaces the echo answer: called with the request and its 1-based number (the count of requests this backend has
    /// seen, so a test can script "fail twice, then answer").
    /// </summary>
    public Func<HttpContext, int, Task>? Handler { get; set; }

    private int _count;

    /// <summary>How many requests arrived.</summary>
    public int Count => Volatile.Read(ref _count);

    public static async Task<TestBackend> StartAsync(string name, bool h2c = false)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Logging.ClearProviders();
        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            bound = l;
            l.Protocols = h2c ? HttpProtocols.Http2 : HttpProtocols.Http1;
        }));
        var app = builder.Build();
        TestBackend? self = null;
        app.Run(async context =>
        {
            var request = context.Request;

            // The body is stored before the request is counted or listed, so a test that waits for Count or Received
            // finds its body in Bodies (a fresh-clone run once saw Count == 1 with Bodies still empty).
            if (self!.RecordBodies)
            {
                using var reader = new StreamReader(request.Body);
                self.Bodies.Enqueue(await reader.ReadToEndAsync());
            }

            var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var echoed = new EchoedRequest(self.Name, request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", headers);
            self.Received.Enqueue(echoed);
            self.Protocols.Enqueue(request.Protocol);
            var number = Interlocked.Increment(ref self._count);

            if (self.Handler is { } handler)
            {
                await handler(context, number);
                return;
            }

            var body = new StringBuilder();
            body.Append("backend=").Append(self.Name).Append('\n');
            body.Append("method=").Append(echoed.Method).Append('\n');
            body.Append("path=").Append(echoed.Path).Append('\n');
            body.Append("query=").Append(echoed.Query).Append('\n');
            foreach (var (key, value) in headers)
            {
                body.Append("header:").Append(key).Append('=').Append(value).Append('\n');
            }

            var bytes = Encoding.UTF8.GetBytes(body.ToString());
            context.Response.Headers["x-backend"] = self.Name;
            context.Response.Headers["x-backend-fixed"] = "fixed";
            context.Response.ContentType = "text/plain";
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes);
        });
        await app.StartAsync();
        self = new TestBackend(app, name, bound!.IPEndPoint!.Port);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What a <see cref="TestBackend"/> saw, parsed back from its response body.</summary>
public sealed record EchoedRequest(string Backend, string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers)
{
    public static EchoedRequest Parse(string body)
    {
        string backend = "", method = "", path = "", query = "";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = (line[..eq], line[(eq + 1)..]);
            switch (key)
            {
                case "backend": backend = value; break;
                case "method": method = value; break;
                case "path": path = value; break;
                case "query": query = value; break;
                default: headers[key["header:".Length..]] = value; break;
            }
        }

        return new EchoedRequest(backend, method, path, query, headers);
    }
}
