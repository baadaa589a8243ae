using System.Text.Json;
using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// kube-apiserver's MutatingAdmissionWebhook plugin: every MutatingWebhookConfiguration (by name), each webhook in order,
/// is matched (<see cref="WebhookMatcher"/>) and called (<see cref="WebhookClient"/>) with an <c>admission.k8s.io/v1</c>
/// AdmissionReview; its JSONPatch is applied to the object the next webhook sees. A denial fails the request with the
/// webhook's status; a failed call fails it with 500 under <c>failurePolicy: Fail</c> and is passed over under
/// <c>Ignore</c>. On a dry run only webhooks with <c>sideEffects</c> None or NoneOnDryRun are called, others reject it.
/// <c>reinvocationPolicy: IfNeeded</c> webhooks are called once more if a webhook after them changed the object.
/// </summary>
internal sealed class MutatingAdmission(ObjectStore store, WebhookClient client)
{
    /// <summary>Whether some webhook's rules name this operation on this resource (so an update needs the admission round trip).</summary>
    public bool Applies(string operation, ResourceRequest request) =>
        Webhooks().Any(w => (w["rules"] as JsonArray ?? []).Count > 0 && WebhookMatcher.RulesMatch(w, operation, request));

    /// <summary>The object after every matching webhook's patch (the same object when none matched).</summary>
    public async Task<JsonObject> AdmitAsync(AdmissionAttributes attributes, CancellationToken ct)
    {
        var namespaceLabels = attributes.Request.Namespace is { } ns && store.Get(BuiltInResources.Namespaces.StorageKey, new ObjectKey("", ns)) is { } nsObject
            ? ObjectMeta.Labels(nsObject)
            : null;
        var current = attributes.Object!;
        var invokedReinvocable = new List<JsonObject>();
        var reinvoke = new HashSet<JsonObject>();
        foreach (var round in new[] { 0, 1 })
        {
            foreach (var webhook in Webhooks())
            {
                if (round == 1 && !reinvoke.Contains(webhook))
                {
                    continue;
                }

                var now = attributes with { Object = current };
                if (!WebhookMatcher.Matches(webhook, now, namespaceLabels))
                {
                    continue;
                }

                var patched = await CallAsync(webhook, now, ct);
                if (patched is not null && !JsonNode.DeepEquals(patched, current))
                {
                    current = patched;
                    reinvoke.UnionWith(invokedReinvocable);
                }

                if (round == 0 && webhook["reinvocationPolicy"]?.ToString() == "IfNeeded")
                {
                    invokedReinvocable.Add(webhook);
                }
            }

            if (reinvoke.Count == 0)
            {
                break;
            }
        }

        return current;
    }

    /// <summary>Every mutating webhook: configurations in name order (the store keeps them so), webhooks in their order.</summary>
    private IEnumerable<JsonObject> Webhooks() =>
        store.Items(BuiltInResources.MutatingWebhookConfigurations.StorageKey)
            .SelectMany(c => (c["webhooks"] as JsonArray ?? []).OfType<JsonObject>());

    /// <summary>The patched object, or null when the webhook left it as it was (or failed open).</summary>
    private async Task<JsonObject?> CallAsync(JsonObject webhook, AdmissionAttributes a, CancellationToken ct)
    {
        var name = webhook["name"]?.ToString() ?? "";
        try
        {
            return await CallOnceAsync(name, webhook, a, ct);
        }
        catch (WebhookCallFailure failure)
        {
            if (webhook["failurePolicy"]?.ToString() == "Ignore")
            {
                return null;
            }

            throw ApiException.InternalError($"failed calling webhook \"{name}\": {failure.Message}");
        }
    }

    private async Task<JsonObject?> CallOnceAsync(string name, JsonObject webhook, AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Request.DryRun)
        {
            switch (webhook["sideEffects"]?.ToString())
            {
                case null:
                    throw new WebhookCallFailure("Webhook SideEffects is nil");
                case "None" or "NoneOnDryRun":
                    break;
                default:
                    throw ApiException.BadRequest($"admission webhook \"{name}\" does not support dry run");
            }
        }

        var uid = Guid.NewGuid().ToString();
        var timeout = TimeSpan.FromSeconds(Math.Clamp(webhook["timeoutSeconds"]?.GetValue<int>() ?? 10, 1, 30));
        var answer = await client.PostAsync(name, webhook["clientConfig"] as JsonObject ?? [], timeout, Review(uid, a), ct);
        var response = Verify(uid, answer);
        if (response["allowed"]?.GetValue<bool>() != true)
        {
            throw Denied(name, response["status"] as JsonObject);
        }

        if (response["patch"]?.ToString() is not { Length: > 0 } encoded)
        {
            return null;
        }

        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(Convert.FromBase64String(encoded));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new WebhookCallFailure("received undecodable patch in webhook response: " + e.Message);
        }

        if (patch is JsonArray { Count: 0 })
        {
            return null;
        }

        if (response["patchType"]?.ToString() != "JSONPatch")
        {
            throw new WebhookCallFailure($"unsupported patch type \"{response["patchType"]}\"");
        }

        try
        {
            return JsonPatch.Apply(a.Object!, patch) as JsonObject ?? throw ApiException.InternalError("the patch did not produce an object");
        }
        catch (ApiException e) when (e.Code != 500)
        {
            // kube-apiserver answers a patch that does not apply with apierrors.NewInternalError, whatever the failure policy.
            throw ApiException.InternalError(e.Message);
        }
    }

    /// <summary>The apiserver's VerifyAdmissionResponse: a v1 AdmissionReview with a response for this uid; patch and patchType together.</summary>
    private static JsonObject Verify(string uid, JsonNode? answer)
    {
        static WebhookCallFailure Invalid(string why) => new("received invalid webhook response: " + why);
        if (answer?["response"] is not JsonObject response)
        {
            throw Invalid("webhook response was absent");
        }

        if (response["uid"]?.ToString() is var got && got != uid)
        {
            throw Invalid($"expected response.uid=\"{uid}\", got \"{got}\"");
        }

        if (answer["apiVersion"]?.ToString() != "admission.k8s.io/v1" || answer["kind"]?.ToString() != "AdmissionReview")
        {
            var gv = answer["apiVersion"]?.ToString() ?? "";
            var slash = gv.IndexOf('/', StringComparison.Ordinal);
            var group = slash < 0 ? "" : gv[..slash];
            var version = slash < 0 ? gv : gv[(slash + 1)..];
            throw Invalid($"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {group}/{version}, Kind={answer["kind"]}");
        }

        var hasPatch = response["patch"]?.ToString() is { Length: > 0 };
        var hasType = response["patchType"] is not null;
        if (hasPatch && !hasType)
        {
            throw Invalid("webhook returned response.patch but not response.patchType");
        }

        if (!hasPatch && hasType)
        {
            throw Invalid("webhook returned response.patchType but not response.patch");
        }

        return response;
    }

    /// <summary>
    /// A denial as the apiserver's webhook ToStatusErr makes it: the webhook's status with a code of at least 400 (400 when
    /// it gave none), status Failure, and the message prefixed with who denied it.
    /// </summary>
    private static ApiException Denied(string name, JsonObject? status)
    {
        var code = status?["code"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : 0;
        var message = status?["message"]?.ToString() ?? "";
        var reason = status?["reason"]?.ToString() ?? "";
        var deniedBy = $"admission webhook \"{name}\" denied the request";
        var text = message.Length > 0 ? $"{deniedBy}: {message}" : reason.Length > 0 ? $"{deniedBy}: {reason}" : deniedBy + " without explanation";
        return new ApiException(code < 400 ? 400 : code, reason, text, status?["details"]?.DeepClone() as JsonObject);
    }

    private static JsonObject Review(string uid, AdmissionAttributes a)
    {
        var r = a.Request;
        var kind = new JsonObject { ["group"] = r.Type.Group, ["version"] = r.Version, ["kind"] = r.Type.Kind };
        var resource = new JsonObject { ["group"] = r.Type.Group, ["version"] = r.Version, ["resource"] = r.Type.Plural };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = kind,
            ["resource"] = resource,
            ["requestKind"] = kind.DeepClone(),
            ["requestResource"] = resource.DeepClone(),
        };
        if (r.Subresource is not null)
        {
            request["subResource"] = r.Subresource;
            request["requestSubResource"] = r.Subresource;
        }

        // On create with generateName the name is not known yet, and Go's omitempty leaves the field out.
        if ((ObjectMeta.Name(a.Object ?? a.OldObject!) ?? r.Name) is { Length: > 0 } name)
        {
            request["name"] = name;
        }

        if (r.Namespace is { Length: > 0 } ns)
        {
            request["namespace"] = ns;
        }

        request["operation"] = a.Operation;
        request["userInfo"] = a.UserInfo.DeepClone();
        request["object"] = a.Object?.DeepClone();
        request["oldObject"] = a.OldObject?.DeepClone();
        request["dryRun"] = r.DryRun;
        request["options"] = a.Options.DeepClone();
        return new JsonObject { ["kind"] = "AdmissionReview", ["apiVersion"] = "admission.k8s.io/v1", ["request"] = request };
    }
}
