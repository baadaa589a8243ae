using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Internal;

namespace Weft.ControlPlane.Injection;

/// <summary>
/// The sidecar injector as a mutating admission webhook (<c>admission.k8s.io/v1</c>): the API server POSTs an
/// AdmissionReview for each pod created where the webhook configuration's selectors send it; the answer is always
/// <c>allowed</c> (the injector never blocks a pod), with <see cref="SidecarInjector"/>'s JSON Patch when it injects, and
/// the reason as a warning when a pod that asked for the mesh could not have it.
/// </summary>
public sealed class AdmissionWebhook(InjectorOptions options, Func<string, CancellationToken, Task<JsonObject?>> namespaceOf, ILogger logger)
{
    /// <summary>An API server object is at most about 1.5 MB; its review, a little more.</summary>
    public const int MaxRequestBytes = 3 * 1024 * 1024;

    /// <summary>Called before a pod is injected (not on dry runs), with its namespace: what the patch refers to must exist.</summary>
    public Func<string, CancellationToken, Task>? BeforeInject { get; init; }

    /// <summary>Serves one webhook call.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.RequestAborted;
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            await Problem(context, StatusCodes.Status415UnsupportedMediaType, "an AdmissionReview is application/json").ConfigureAwait(false);
            return;
        }

        JsonObject? review;
        try
        {
            review = await ReadAsync(context.Request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            await Problem(context, StatusCodes.Status400BadRequest, $"not an AdmissionReview: {e.Message}").ConfigureAwait(false);
            return;
        }

        if (review?["request"] is not JsonObject request || request["uid"]?.GetValueKind() != JsonValueKind.String)
        {
            await Problem(context, StatusCodes.Status400BadRequest, "not an admission.k8s.io/v1 AdmissionReview with a request and its uid").ConfigureAwait(false);
            return;
        }

        var ns = Text(request["namespace"]) ?? "";
        var nsObject = ns.Length > 0 ? await namespaceOf(ns, ct).ConfigureAwait(false) : null;
        var (response, decision) = Answer(request, nsObject, options);
        var dryRun = request["dryRun"] is JsonValue d && d.TryGetValue<bool>(out var isDry) && isDry;
        if (decision is { Injected: true } && !dryRun && BeforeInject is { } before)
        {
            await before(ns, ct).ConfigureAwait(false);
        }

        if (decision is not null)
        {
            Log.Injection(logger, $"{ns}/{PodName(request)}", decision.Injected ? "injected" : "not injected", decision.Reason);
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["apiVersion"] = review["apiVersion"]?.DeepClone() ?? "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["response"] = response,
        }.ToJsonString(), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The AdmissionResponse for a request: pods being created get the injector's decision (and the decision is returned
    /// too); anything else is allowed unchanged.
    /// </summary>
    public static (JsonObject Response, InjectionDecision? Decision) Answer(JsonObject request, JsonObject? namespaceObject, InjectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new JsonObject { ["uid"] = request["uid"]?.DeepClone(), ["allowed"] = true };
        if (Text((request["kind"] as JsonObject)?["kind"]) != "Pod" || Text(request["operation"]) != "CREATE" || request["object"] is not JsonObject pod)
        {
            return (response, null);
        }

        var decision = SidecarInjector.Decide(pod, namespaceObject, options);
        if (decision.Injected)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(decision.Patch!.ToJsonString()));
        }
        else if (decision.Warn)
        {
            // A pod that opted in and was refused the mesh: kubectl shows the warning to whoever created it.
            response["warnings"] = new JsonArray($"weft: no sidecar injected: {decision.Reason}");
        }

        return (response, decision);
    }

    private static async Task<JsonObject?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxRequestBytes)
        {
            throw new InvalidDataException($"larger than {MaxRequestBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxRequestBytes)
            {
                throw new InvalidDataException($"larger than {MaxRequestBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return JsonNode.Parse(buffer.ToArray()) as JsonObject;
    }

    private static Task Problem(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }

    private static string PodName(JsonObject request) =>
        Text(request["name"]) is { Length: > 0 } name ? name
        : Text(((request["object"] as JsonObject)?["metadata"] as JsonObject)?["generateName"]) is { } prefix ? prefix + "*" : "(unnamed)";

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
