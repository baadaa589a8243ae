using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.Cli.Commands;
using Weft.Cli.Local;
using Weft.Discovery;
using Weft.Discovery.Tap;
using Weft.Discovery.V1;

namespace Weft.Cli.Dashboard;

/// <summary>
/// <c>weft dashboard</c>'s web server (issue 16): the page (static assets embedded in weft, no CDN) and its JSON, on a
/// loopback port of the operator's machine. The page's data comes from the control plane's admin calls (stat, status,
/// tap) made with the admin credential, which stays in this process: the browser proves itself with a random secret
/// that the printed URL carries once and that becomes a same-site, HttpOnly cookie. Requests naming another Host are
/// refused (a web page elsewhere cannot reach the port by DNS rebinding), and the page loads no script but its own.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    private const string Cookie = "weft-dashboard";

    /// <summary>The most events one tap of the page streams, and for how long (the operator opens another).</summary>
    private const uint TapEvents = 200;

    private const uint TapSeconds = 60;

    private readonly WebApplication _app;
    private readonly ControlPlaneAdmin.Access _source;
    private readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
    private string[] _hosts = [];

    private DashboardServer(WebApplication app, ControlPlaneAdmin.Access source)
    {
        _app = app;
        _source = source;
    }

    /// <summary>The URL to open: the page, with the secret the browser trades for its cookie.</summary>
    public Uri Url { get; private set; } = null!;

    public static async Task<DashboardServer> StartAsync(IPEndPoint listen, ControlPlaneAdmin.Access source, CancellationToken ct)
    {
        if (!IPAddress.IsLoopback(listen.Address))
        {
            throw new ArgumentException($"the dashboard listens on a loopback address only, not {listen.Address}", nameof(listen));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "weft-dashboard", Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(listen);
        });
        var app = builder.Build();
        var server = new DashboardServer(app, source);
        app.Run(server.HandleAsync);
        await app.StartAsync(ct);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var host = listen.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listen.Address}]" : listen.Address.ToString();
        server._hosts = [$"{host}:{port}", $"localhost:{port}"];
        server.Url = new Uri($"http://{host}:{port}/?token={server._secret}");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        if (!_hosts.Contains(context.Request.Host.Value ?? "", StringComparer.OrdinalIgnoreCase))
        {
            await PlainAsync(response, StatusCodes.Status421MisdirectedRequest, "weft dashboard: open the address weft dashboard printed\n");
            return;
        }

        var path = context.Request.Path.Value ?? "/";
        if (path == "/" && context.Request.Query["token"].ToString() is { Length: > 0 } token)
        {
            if (!Same(token))
            {
                await PlainAsync(response, StatusCodes.Status401Unauthorized, "weft dashboard: that link is not this dashboard's; open the one it printed\n");
                return;
            }

            response.Cookies.Append(Cookie, _secret, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
            response.Redirect("/");
            return;
        }

        if (!Same(context.Request.Cookies[Cookie]))
        {
            await PlainAsync(response, StatusCodes.Status401Unauthorized, "weft dashboard: open the address weft dashboard printed (it carries this dashboard's key)\n");
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        switch (path)
        {
            case "/":
                await AssetAsync(response, "index.html", "text/html; charset=utf-8");
                break;
            case "/app.js":
                await AssetAsync(response, "app.js", "text/javascript; charset=utf-8");
                break;
            case "/app.css":
                await AssetAsync(response, "app.css", "text/css; charset=utf-8");
                break;
            case "/api/stat":
                await StatAsync(context);
                break;
            case "/api/status":
                await StatusAsync(context);
                break;
            case "/api/tap":
                await TapAsync(context);
                break;
            default:
                await PlainAsync(response, StatusCodes.Status404NotFound, "not found\n");
                break;
        }
    }

    private bool Same(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(_secret));

    /// <summary>The graph and the route rules over the window (<c>?window=60s</c>), and the sidecars that could not be asked.</summary>
    private async Task StatAsync(HttpContext context)
    {
        var text = context.Request.Query["window"].ToString();
        if (!StatWindows.TryParse(text.Length == 0 ? "60s" : text, out var seconds))
        {
            await PlainAsync(context.Response, StatusCodes.Status400BadRequest, $"window: a duration such as 10s, 30s or 1m, at most {StatWindows.MaxSeconds}s\n");
            return;
        }

        StatReply reply;
        try
        {
            reply = await DiscoveryClient.StatAsync(_source.ControlPlane, new StatRequest { AllNamespaces = true, WindowSeconds = (uint)seconds },
                _source.Roots, _source.Credentials, context.RequestAborted, _source.ServerName);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException && !context.RequestAborted.IsCancellationRequested)
        {
            await PlainAsync(context.Response, StatusCodes.Status502BadGateway, $"the control plane did not answer: {Detail(e)}\n");
            return;
        }

        var pods = reply.Pods;
        await JsonAsync(context.Response, new JsonObject
        {
            ["windowSeconds"] = seconds,
            ["graph"] = DashboardData.Graph(pods),
            ["routes"] = DashboardData.Routes(pods),
            ["notices"] = new JsonArray([.. pods.Where(p => p.Notice.Length > 0).Select(p => (JsonNode)p.Notice)]),
        });
    }

    /// <summary>The control plane's status in the words <c>weft status</c> prints (the same writer).</summary>
    private async Task StatusAsync(HttpContext context)
    {
        string text;
        try
        {
            var reply = await DiscoveryClient.GetStatusAsync(_source.ControlPlane, context.RequestAborted, _source.Roots, _source.Credentials, _source.ServerName);
            using var writer = new StringWriter();
            StatusCommand.WriteStatusReply(writer, reply);
            text = writer.ToString();
        }
        catch (Exception e) when (e is RpcException or HttpRequestException && !context.RequestAborted.IsCancellationRequested)
        {
            text = $"control plane {_source.ControlPlane} did not answer: {Detail(e)}\n";
        }

        await JsonAsync(context.Response, new JsonObject { ["text"] = text });
    }

    /// <summary>
    /// A live tap of <c>?target=deploy/NAME&amp;namespace=NS</c> as server-sent events, one JSON event (the tap's fields)
    /// per request, at most <see cref="TapEvents"/> events or <see cref="TapSeconds"/> seconds, then an <c>end</c> event.
    /// </summary>
    private async Task TapAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (!TapTarget.TryParse(query["target"].ToString(), out var kind, out var name, out var error))
        {
            await PlainAsync(context.Response, StatusCodes.Status400BadRequest, error + "\n");
            return;
        }

        var request = new TapRequest
        {
            Namespace = query["namespace"].ToString() is { Length: > 0 } ns ? ns : "default",
            TargetKind = kind,
            TargetName = name,
            MaxEvents = TapEvents,
            MaxSeconds = TapSeconds,
        };
        var response = context.Response;
        response.ContentType = "text/event-stream";
        await response.Body.FlushAsync(context.RequestAborted);
        var end = "ended";
        try
        {
            await foreach (var e in DiscoveryClient.TapAsync(_source.ControlPlane, request, _source.Roots, _source.Credentials, context.RequestAborted, _source.ServerName))
            {
                await response.WriteAsync($"data: {Google.Protobuf.JsonFormatter.Default.Format(e)}\n\n", context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            end = Detail(e);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        await response.WriteAsync($"event: end\ndata: {JsonValue.Create(end).ToJsonString()}\n\n", context.RequestAborted);
    }

    private static string Detail(Exception e) => e is RpcException rpc ? rpc.Status.Detail : e.Message;

    private static async Task AssetAsync(HttpResponse response, string name, string contentType)
    {
        await using var asset = typeof(DashboardServer).Assembly.GetManifestResourceStream($"dashboard/{name}")
            ?? throw new InvalidOperationException($"the dashboard asset {name} is not embedded in weft");
        response.ContentType = contentType;
        await asset.CopyToAsync(response.Body);
    }

    private static async Task JsonAsync(HttpResponse response, JsonNode body)
    {
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString());
    }

    private static async Task PlainAsync(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(text);
    }
}
