using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Kubernetes;

namespace Weft.ControlPlane.Injection;

/// <summary>
/// The sidecar injector as a mutating admission webhook (<c>admission.k8s.io/v1</c>): the API server POSTs an
/// AdmissionReview for each pod created where the webhook configuration's selectors send it; the answer is always
/// <c>allowed</c> (the injector never blocks a pod), with <see cref="SidecarInjector"/>'s JSON Patch when it injects, and
/// the reason as a warning when a pod that asked for the mesh could not have it.
/// </summary>
public sealed class AdmissionWebhook(InjectorOptions options, Func<string, CancellationToken, Task<JsonObject?>> namespaceOf, ILogger logger) : IDisposable
{
    /// <summary>An API server object is at most about 1.5 MB; its review, a little more.</summary>
    public const int MaxRequestBytes = 2 * 1024 * 1024;

    /// <summary>
    /// Calls served at once; more are answered 429 (the API server then applies the webhook's failure policy). Anyone who
    /// reaches the port may call: the bound keeps them from holding the controller's memory.
    /// </summary>
    public const int MaxConcurrentReviews = 32;

    private readonly SemaphoreSlim _reviews = new(MaxConcurrentReviews, MaxConcurrentReviews);

    /// <summary>Serves one webhook call. It changes nothing in the cluster (the configuration says sideEffects None).</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_reviews.Wait(0))
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }

        try
        {
            await ServeAsync(context).ConfigureAwait(false);
        }
        finally
        {
            _reviews.Release();
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
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

        var ns = JsonFields.Text(request["namespace"]) ?? "";
        JsonObject response;
        try
        {
            var nsObject = ns.Length > 0 ? await namespaceOf(ns, ct).ConfigureAwait(false) : null;
            (response, var decision) = Answer(request, nsObject, options);
            if (decision is not null)
            {
                Log.Injection(logger, Printable($"{ns}/{PodName(request)}"), decision.Injected ? "injected" : "not injected", decision.Reason);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The namespace could not be read (the API server away, a missing permission): a pod that may have asked for the
            // mesh is refused with the reason, not let through unmeshed nor left to a bare 500.
            var reason = $"weft: cannot decide on injection: namespace {Printable(ns)}: {e.Message}";
            Log.Injection(logger, Printable($"{ns}/{PodName(request)}"), "refused", reason);
            response = new JsonObject
            {
                ["uid"] = request["uid"]?.DeepClone(),
                ["allowed"] = false,
                ["status"] = new JsonObject { ["code"] = StatusCodes.Status503ServiceUnavailable, ["message"] = reason },
            };
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["apiVersion"] = review["apiVersion"]?.DeepClone() ?? "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["response"] = response,
        }.ToJsonString(), ct).ConfigureAwait(false);
    }

    public void Dispose() => _reviews.Dispose();

    /// <summary>
    /// The AdmissionResponse for a request: pods being created get the injector's decision (and the decision is returned
    /// too); anything else is allowed unchanged.
    /// </summary>
    public static (JsonObject Response, InjectionDecision? Decision) Answer(JsonObject request, JsonObject? namespaceObject, InjectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new JsonObject { ["uid"] = request["uid"]?.DeepClone(), ["allowed"] = true };
        if (JsonFields.Text((request["kind"] as JsonObject)?["kind"]) != "Pod" || JsonFields.Text(request["operation"]) != "CREATE" || request["object"] is not JsonObject pod)
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

        buffer.Position = 0;
        return JsonNode.Parse(buffer) as JsonObject;
    }

    private static Task Problem(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }

    private static string PodName(JsonObject request) =>
        JsonFields.Text(request["name"]) is { Length: > 0 } name ? name
        : JsonFields.Text(((request["object"] as JsonObject)?["metadata"] as JsonObject)?["generateName"]) is { } prefix ? prefix + "*" : "(unnamed)";

    /// <summary>Names from the request as a log line may carry them: no control characters, at most 300 characters.</summary>
    private static string Printable(string text)
    {
        var clean = new string([.. text.Take(300).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 300 ? clean + "…" : clean;
    }
}
