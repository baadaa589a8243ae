using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Weft.Proxy.Discovery;

namespace Weft.Proxy.Admin;

/// <summary>The admin listener: <c>/ready</c>, <c>/policies</c> (what this proxy applies, per destination) and <c>/stats</c>.</summary>
internal sealed class AdminHandler(IDestinationSource destinations, ProxyStats stats, Func<bool> ready)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        switch (context.Request.Path.Value)
        {
            case "/ready":
                context.Response.StatusCode = ready() ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync(ready() ? "ready\n" : "starting\n");
                break;
            case "/policies":
                await WriteJsonAsync(context, WritePolicies);
                break;
            case "/stats":
                await WriteJsonAsync(context, stats.WriteJson);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    private void WritePolicies(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("destinations");
        foreach (var destination in destinations.Snapshot().OrderBy(d => d.Host, StringComparer.Ordinal).ThenBy(d => d.Port))
        {
            writer.WriteStartObject();
            writer.WriteString("host", destination.Host);
            writer.WriteNumber("port", destination.Port);
            writer.WriteNumber("version", destination.Version);
            writer.WriteBoolean("connected", destination.Connected);
            if (destination.RejectedVersion != 0)
            {
                writer.WriteNumber("rejectedVersion", destination.RejectedVersion);
                writer.WriteString("rejectedError", destination.RejectedError);
            }

            if (destination.Policy is { } policy)
            {
                writer.WriteString("service", $"{policy.ServiceNamespace}/{policy.ServiceName}:{policy.Port}");
                writer.WriteNumber("rules", policy.Rules.Count);
                writer.WritePropertyName("policy");
                JsonSerializer.Serialize(writer, policy, AdminJsonContext.Default.DestinationPolicy);
            }
            else
            {
                writer.WriteNull("policy");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
