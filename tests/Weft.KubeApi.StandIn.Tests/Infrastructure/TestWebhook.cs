using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Weft.KubeApi.StandIn.Tests.Infrastructure;

/// <summary>
/// An admission webhook server for tests: Kestrel HTTPS on 127.0.0.1 with a port from the OS, serving a certificate for
/// <c>hook.test-ns.svc</c> from its own test CA. Each path answers as the handler given for it; every AdmissionReview
/// it receives is kept in <see cref="Reviews"/>.
/// </summary>
internal sealed class TestWebhook : IAsyncDisposable
{
    public const string ServiceNamespace = "test-ns";
    public const string ServiceName = "hook";

    private readonly WebApplication _app;

    private TestWebhook(WebApplication app, TestCertificates authority, int port)
    {
        _app = app;
        Authority = authority;
        Port = port;
    }

    public TestCertificates Authority { get; }

    public int Port { get; }

    public ConcurrentQueue<(string Path, JsonObject Review)> Reviews { get; } = new();

    /// <summary>The map a <see cref="KubeApiServerOptions"/> needs to reach <c>hook.test-ns</c> port 443 here.</summary>
    public IReadOnlyDictionary<string, IPEndPoint> ServiceAddresses =>
        new Dictionary<string, IPEndPoint> { [$"{ServiceNamespace}/{ServiceName}:443"] = new(IPAddress.Loopback, Port) };

    public static async Task<TestWebhook> StartAsync(IReadOnlyDictionary<string, Func<JsonObject, CancellationToken, Task<JsonNode>>> handlers)
    {
        var authority = TestCertificates.CreateAuthority("weft-test-webhook-ca");
        var serving = authority.Issue($"{ServiceName}.{ServiceNamespace}.svc");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(serving)));
        var app = builder.Build();
        TestWebhook? hook = null;
        app.Run(async context =>
        {
            var review = (await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))!.AsObject();
            var path = context.Request.Path.Value ?? "";
            hook!.Reviews.Enqueue((path, review));
            if (!handlers.TryGetValue(path, out var handler))
            {
                context.Response.StatusCode = 404;
                return;
            }

            var answer = await handler(review, context.RequestAborted);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
        });
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hook = new TestWebhook(app, authority, new Uri(bound).Port);
        return hook;
    }

    /// <summary>An allowing AdmissionReview response for <paramref name="review"/>, with a JSONPatch when one is given.</summary>
    public static JsonObject Allow(JsonObject review, JsonArray? patch = null, string? uid = null)
    {
        var response = new JsonObject { ["uid"] = uid ?? review["request"]!["uid"]!.GetValue<string>(), ["allowed"] = true };
        if (patch is not null)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(patch.ToJsonString()));
        }

        return new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
    }

    public static JsonObject Deny(JsonObject review, int code, string message) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["response"] = new JsonObject
        {
            ["uid"] = review["request"]!["uid"]!.GetValue<string>(),
            ["allowed"] = false,
            ["status"] = new JsonObject { ["code"] = code, ["message"] = message },
        },
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Authority.Dispose();
    }
}
