using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// The HTTP face: bearer authentication, content negotiation (JSON only), discovery, the REST paths of every served
/// resource, and watch streams (newline-delimited JSON, flushed per event). Every failure is a <c>kind: Status</c> body.
/// </summary>
internal sealed class ApiHttpHandler(
    ResourceCatalog catalog,
    ResourceRegistry registry,
    ObjectStore store,
    MutatingAdmission admission,
    ServiceAccountTokens tokens,
    RbacAuthorizer rbac,
    Func<string> serverAddress,
    TimeSpan bookmarkInterval)
{
    private const string MergePatchType = "application/merge-patch+json";
    private const string JsonPatchType = "application/json-patch+json";
    private const string StrategicMergePatchType = "application/strategic-merge-patch+json";

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await DispatchAsync(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, e.Code, e.ToStatus());
        }
        catch (JsonException e) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, 400, ApiException.BadRequest("the body of the request could not be decoded: " + e.Message).ToStatus());
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var segments = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var user = Authenticate(context.Request);
        if (user is null && HasBearerToken(context.Request))
        {
            // A real server authenticates before it looks at the path: a token it cannot verify is 401 everywhere,
            // the public paths below included (no credentials at all make the anonymous user, who may read those).
            throw ApiException.Unauthorized();
        }

        switch (segments)
        {
            case ["healthz"] or ["livez"] or ["readyz"]:
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("ok");
                return;
            case ["version"]:
                await WriteAsync(context, 200, DiscoveryDocuments.Version());
                return;
        }

        if (user is null)
        {
            throw ApiException.Unauthorized();
        }

        if (segments is ["openapi", ..])
        {
            await ServeOpenApiAsync(context, segments);
            return;
        }

        if (!AcceptsJson(context.Request))
        {
            throw ApiException.NotAcceptable();
        }

        var isGet = HttpMethods.IsGet(context.Request.Method);
        switch (segments)
        {
            case []:
                await WriteAsync(context, 200, new JsonObject { ["paths"] = new JsonArray("/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version") });
                return;
            case ["api"] when isGet:
                await WriteAsync(context, 200, DiscoveryDocuments.CoreVersions(serverAddress()));
                return;
            case ["apis"] when isGet:
                await WriteAsync(context, 200, DiscoveryDocuments.GroupList(catalog));
                return;
            case ["api", var version] when isGet:
                await WriteAsync(context, 200, DiscoveryDocuments.ResourceList(catalog, "", version) ?? throw ApiException.PathNotFound());
                return;
            case ["apis", var group] when isGet:
                var versions = catalog.Groups().FirstOrDefault(g => g.Group == group).Versions ?? throw ApiException.PathNotFound();
                await WriteAsync(context, 200, DiscoveryDocuments.Group(group, versions));
                return;
            case ["apis", var group, var version] when isGet:
                await WriteAsync(context, 200, DiscoveryDocuments.ResourceList(catalog, group, version) ?? throw ApiException.PathNotFound());
                return;
            case ["api", var version, .. var rest] when rest.Length > 0:
                await ServeResourceAsync(context, Route("", version, rest), user);
                return;
            case ["apis", var group, var version, .. var rest] when rest.Length > 0:
                await ServeResourceAsync(context, Route(group, version, rest), user);
                return;
            case ["api" or "apis", ..]:
                throw ApiException.MethodNotAllowed();
            default:
                throw ApiException.PathNotFound();
        }
    }

    private async Task ServeOpenApiAsync(HttpContext context, string[] segments)
    {
        var document = segments switch
        {
            ["openapi", "v3"] => OpenApiDocuments.Root(catalog),
            ["openapi", "v3", "api", var version] => OpenApiDocuments.GroupVersion(catalog, "", version),
            ["openapi", "v3", "apis", var group, var version] => OpenApiDocuments.GroupVersion(catalog, group, version),
            _ => null, // /openapi/v2 is not served
        };
        await WriteAsync(context, 200, document ?? throw ApiException.PathNotFound());
    }

    /// <summary>
    /// <c>namespaces/{ns}/{plural}[/{name}[/{sub}]]</c> for a namespaced resource, else <c>{plural}[/{name}[/{sub}]]</c>
    /// (which also covers <c>namespaces/{name}/status</c>).
    /// </summary>
    private ResourceRequest Route(string group, string version, string[] rest)
    {
        if (rest is ["namespaces", var ns, var plural, ..] && catalog.Find(group, version, plural) is { Namespaced: true } namespaced)
        {
            if (rest.Length > 5)
            {
                throw ApiException.PathNotFound();
            }

            return Checked(new ResourceRequest(namespaced, version, ns, rest.ElementAtOrDefault(3), rest.ElementAtOrDefault(4)));
        }

        var type = catalog.Find(group, version, rest[0]) ?? throw ApiException.PathNotFound();
        if (rest.Length > 3 || (type.Namespaced && rest.Length > 1))
        {
            throw ApiException.PathNotFound();
        }

        return Checked(new ResourceRequest(type, version, null, rest.ElementAtOrDefault(1), rest.ElementAtOrDefault(2)));
    }

    private static ResourceRequest Checked(ResourceRequest r)
    {
        var known = r.Subresource switch
        {
            null => true,
            "status" => r.Type.HasStatus(r.Version),
            "token" => r.Type == BuiltInResources.ServiceAccounts,
            _ => false,
        };
        return known ? r : throw ApiException.PathNotFound();
    }

    private async Task ServeResourceAsync(HttpContext context, ResourceRequest r, JsonObject user)
    {
        var method = context.Request.Method;
        r = r with { DryRun = DryRun(context.Request, method) };
        if (r.Type.CreateOnly)
        {
            if (!HttpMethods.IsPost(method) || r.Name is not null)
            {
                throw ApiException.MethodNotAllowed();
            }

            var review = await ReadObjectAsync(context);
            await WriteAsync(context, 201, r.Type == BuiltInResources.SubjectAccessReviews ? rbac.Review(review) : tokens.TokenReview(review));
            return;
        }

        if (r.Subresource == "token")
        {
            if (!HttpMethods.IsPost(method))
            {
                throw ApiException.MethodNotAllowed();
            }

            await WriteAsync(context, 201, tokens.TokenRequest(r.Namespace!, r.Name!, await ReadObjectAsync(context)));
            return;
        }

        if (r.Name is null)
        {
            var options = ParseListOptions(context.Request.Query, r.Type);
            if (HttpMethods.IsGet(method))
            {
                if (options.Watch)
                {
                    await WatchAsync(context, r, options);
                }
                else
                {
                    await WriteAsync(context, 200, registry.List(r, options));
                }
            }
            else if (HttpMethods.IsPost(method) && (r.Namespace is not null || !r.Type.Namespaced))
            {
                var prepared = registry.PrepareCreate(r, await ReadObjectAsync(context));
                var admitted = await admission.AdmitAsync(new AdmissionAttributes("CREATE", r, prepared, null, user, Options("CreateOptions", context.Request, r)), context.RequestAborted);
                await WriteAsync(context, 201, registry.Create(r, admitted));
            }
            else if (HttpMethods.IsDelete(method))
            {
                await WriteAsync(context, 200, registry.DeleteCollection(r, options, await ReadDeleteOptionsAsync(context)));
            }
            else
            {
                throw ApiException.MethodNotAllowed();
            }

            return;
        }

        if (HttpMethods.IsGet(method))
        {
            var options = ParseListOptions(context.Request.Query, r.Type);
            if (options.Watch && r.Subresource is null)
            {
                await WatchAsync(context, r, options);
            }
            else
            {
                await WriteAsync(context, 200, registry.Get(r));
            }
        }
        else if (HttpMethods.IsPut(method))
        {
            var body = await ReadObjectAsync(context);
            if (admission.Applies("UPDATE", r))
            {
                var old = registry.Get(r);
                var prepared = ResourceRegistry.PrepareUpdate(r, body);
                body = await admission.AdmitAsync(new AdmissionAttributes("UPDATE", r, prepared, old, user, Options("UpdateOptions", context.Request, r)), context.RequestAborted);
            }

            await WriteAsync(context, 200, r.Subresource == "status" ? registry.UpdateStatus(r, body) : registry.Update(r, body));
        }
        else if (HttpMethods.IsPatch(method))
        {
            var contentType = MediaType(context.Request.ContentType);
            var accepted = r.Type.IsCustom ? [JsonPatchType, MergePatchType] : new[] { JsonPatchType, MergePatchType, StrategicMergePatchType };
            if (!accepted.Contains(contentType))
            {
                throw ApiException.UnsupportedMediaType(string.Join(", ", accepted));
            }

            var patch = JsonNode.Parse(await ReadTextAsync(context));
            await WriteAsync(context, 200, admission.Applies("UPDATE", r)
                ? await AdmittedPatchAsync(context, r, contentType, patch, user)
                : registry.Patch(r, contentType, patch));
        }
        else if (HttpMethods.IsDelete(method) && r.Subresource is null)
        {
            await WriteAsync(context, 200, registry.Delete(r, await ReadDeleteOptionsAsync(context)));
        }
        else
        {
            throw ApiException.MethodNotAllowed();
        }
    }

    /// <summary>
    /// A patch that a webhook may change: patched, admitted, then written back on the condition that the object is still
    /// the one patched (retried, as the apiserver's GuaranteedUpdate retries its admission-calling update, on a conflict).
    /// </summary>
    private async Task<JsonObject> AdmittedPatchAsync(HttpContext context, ResourceRequest r, string contentType, JsonNode? patch, JsonObject user)
    {
        for (var attempt = 1; ; attempt++)
        {
            var old = registry.Get(r);
            var patched = ResourceRegistry.PrepareUpdate(r, registry.Patched(r, contentType, patch));
            var admitted = await admission.AdmitAsync(new AdmissionAttributes("UPDATE", r, patched, old, user, Options("PatchOptions", context.Request, r)), context.RequestAborted);
            ObjectMeta.Of(admitted)["resourceVersion"] = ObjectMeta.ResourceVersion(patched);
            try
            {
                return r.Subresource == "status" ? registry.UpdateStatus(r, admitted) : registry.Update(r, admitted);
            }
            catch (ApiException e) when (e.Code == 409 && attempt < 5)
            {
                // The object changed while the webhooks ran: patch the new one.
            }
        }
    }

    /// <summary><c>dryRun</c>: absent, or <c>All</c> (each value); anything else is 422 as the options' validation answers.</summary>
    private static bool DryRun(HttpRequest request, string method)
    {
        var values = request.Query["dryRun"];
        if (values.Count == 0)
        {
            return false;
        }

        if (values.All(v => v == "All"))
        {
            return true;
        }

        var kind = HttpMethods.IsPost(method) ? "CreateOptions" : HttpMethods.IsPatch(method) ? "PatchOptions" : HttpMethods.IsDelete(method) ? "DeleteOptions" : "UpdateOptions";
        var listed = string.Join(", ", values.Select(v => $"\"{v}\""));
        var detail = $"Unsupported value: []string{{{listed}}}: supported values: \"All\"";
        return HttpMethods.IsGet(method)
            ? false
            : throw new ApiException(422, "Invalid", $"{kind}.meta.k8s.io \"\" is invalid: dryRun: {detail}", new JsonObject
            {
                ["group"] = "meta.k8s.io",
                ["kind"] = kind,
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueNotSupported", ["message"] = detail, ["field"] = "dryRun" }),
            });
    }

    /// <summary>The operation's options as admission sees them (<c>request.options</c>).</summary>
    private static JsonObject Options(string kind, HttpRequest request, ResourceRequest r)
    {
        var options = new JsonObject { ["kind"] = kind, ["apiVersion"] = "meta.k8s.io/v1" };
        if (r.DryRun)
        {
            options["dryRun"] = new JsonArray("All");
        }

        if (request.Query["fieldManager"].ToString() is { Length: > 0 } manager)
        {
            options["fieldManager"] = manager;
        }

        return options;
    }

    private async Task WatchAsync(HttpContext context, ResourceRequest r, ListOptions options)
    {
        long? from = options.ResourceVersion is null or "" or "0" ? null : ResourceRegistry.ParseResourceVersion(options.ResourceVersion);
        var watch = new WatchSubscription
        {
            Type = r.Type,
            Version = r.Version,
            Namespace = r.Namespace,
            Labels = options.Labels,
            Fields = r.Name is null ? options.Fields : options.Fields.And(FieldSelector.ForName(r.Name)),
        };
        store.Subscribe(watch, from);
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.Headers.CacheControl = "no-cache, private";
            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            if (options.TimeoutSeconds is > 0 and var seconds)
            {
                lifetime.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            var ct = lifetime.Token;
            await context.Response.StartAsync(ct);
            await context.Response.Body.FlushAsync(ct);
            var nextBookmark = Stopwatch.GetTimestamp() + (long)(bookmarkInterval.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                bool more;
                if (options.AllowWatchBookmarks)
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), nextBookmark);
                    if (wait <= TimeSpan.Zero)
                    {
                        store.Bookmark(watch);
                        nextBookmark += (long)(bookmarkInterval.TotalSeconds * Stopwatch.Frequency);
                        continue;
                    }

                    using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    tick.CancelAfter(wait);
                    try
                    {
                        more = await watch.Lines.WaitToReadAsync(tick.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        continue;
                    }
                }
                else
                {
                    more = await watch.Lines.WaitToReadAsync(ct);
                }

                if (!more)
                {
                    break;
                }

                while (watch.Lines.TryRead(out var line))
                {
                    await context.Response.WriteAsync(line, ct);
                }

                await context.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds passed, or the client went away: the stream just ends.
        }
        finally
        {
            store.Unsubscribe(watch);
        }
    }

    private static ListOptions ParseListOptions(IQueryCollection query, ResourceType type)
    {
        static bool Flag(string? value) => value is "true" or "1" or "True";
        int? Integer(string name) =>
            query[name].ToString() is { Length: > 0 } text
                ? int.TryParse(text, out var n) ? n : throw ApiException.BadRequest($"{name}: Invalid value: \"{text}\"")
                : null;
        return new ListOptions
        {
            ResourceVersion = query.ContainsKey("resourceVersion") ? query["resourceVersion"].ToString() : null,
            ResourceVersionMatch = query["resourceVersionMatch"].ToString() is { Length: > 0 } m ? m : null,
            Limit = Integer("limit"),
            Continue = query["continue"].ToString() is { Length: > 0 } c ? c : null,
            Labels = LabelSelector.Parse(query["labelSelector"].ToString()),
            Fields = FieldSelector.Parse(query["fieldSelector"].ToString(), type),
            Watch = Flag(query["watch"].ToString()),
            AllowWatchBookmarks = Flag(query["allowWatchBookmarks"].ToString()),
            TimeoutSeconds = Integer("timeoutSeconds"),
        };
    }

    /// <summary>Who the bearer token is (admission's <c>userInfo</c>), or null when it does not authenticate.</summary>
    private static bool HasBearerToken(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    private JsonObject? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!HasBearerToken(request))
        {
            return null;
        }

        var token = header["Bearer ".Length..].Trim();
        if (tokens.IsAdmin(token))
        {
            return ServiceAccountTokens.AdminUser();
        }

        return tokens.Authenticate(token, [TokenIssuer.ApiAudience], out _) is { } claims
            ? new JsonObject
            {
                ["username"] = $"system:serviceaccount:{claims.Namespace}:{claims.ServiceAccount}",
                ["uid"] = claims.ServiceAccountUid,
                ["groups"] = new JsonArray("system:serviceaccounts", "system:serviceaccounts:" + claims.Namespace, "system:authenticated"),
            }
            : null;
    }

    /// <summary>
    /// JSON is the only representation. Ranges asking for another rendering (<c>as=Table</c>, <c>as=PartialObjectMetadata</c>)
    /// are passed over; a request that accepts no plain JSON at all (protobuf only) is 406. Aggregated discovery ranges
    /// count as JSON: the answer is the unaggregated document, which clients recognise by its content type.
    /// </summary>
    private static bool AcceptsJson(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        if (accept.Length == 0)
        {
            return true;
        }

        foreach (var range in accept.Split(','))
        {
            var parts = range.Split(';', StringSplitOptions.TrimEntries);
            var media = parts[0].ToLowerInvariant();
            var rendering = parts.Skip(1).FirstOrDefault(p => p.StartsWith("as=", StringComparison.OrdinalIgnoreCase))?[3..];
            if (media is "application/json" or "*/*" or "application/*" && rendering is null or "APIGroupDiscoveryList")
            {
                return true;
            }
        }

        return false;
    }

    private static string MediaType(string? contentType) =>
        (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();

    private static async Task<string> ReadTextAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context) =>
        await ReadOptionalObjectAsync(context) ?? throw ApiException.BadRequest("the request body is empty");

    /// <summary>
    /// A DELETE's DeleteOptions: its body's when it has one, else <c>?gracePeriodSeconds=N</c>, as the API server decodes
    /// them (the query only when the body is empty). A grace period that is not an integer is 400, as decoding it fails.
    /// </summary>
    private static async Task<JsonObject> ReadDeleteOptionsAsync(HttpContext context)
    {
        if (await ReadOptionalObjectAsync(context) is { } body)
        {
            if (body["gracePeriodSeconds"] is { } grace && !(grace is JsonValue value && value.TryGetValue<long>(out _)))
            {
                throw ApiException.BadRequest($"json: cannot unmarshal {grace.GetValueKind().ToString().ToLowerInvariant()} into Go struct field DeleteOptions.gracePeriodSeconds of type int64");
            }

            return body;
        }

        var options = new JsonObject();
        if (context.Request.Query["gracePeriodSeconds"] is [{ } text])
        {
            options["gracePeriodSeconds"] = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
                ? seconds
                : throw ApiException.BadRequest($"gracePeriodSeconds: Invalid value: \"{text}\": strconv.ParseInt: parsing \"{text}\": invalid syntax");
        }

        return options;
    }

    private static async Task<JsonObject?> ReadOptionalObjectAsync(HttpContext context)
    {
        var media = MediaType(context.Request.ContentType);
        var text = await ReadTextAsync(context);
        if (text.Trim().Length == 0)
        {
            return null;
        }

        var node = media switch
        {
            "" or "application/json" => JsonNode.Parse(text),
            "application/yaml" => YamlDocuments.Parse(text) is [var first, ..] ? first : null,
            _ => throw ApiException.UnsupportedMediaType("application/json, application/yaml"),
        };
        return node as JsonObject ?? throw ApiException.BadRequest("the request body is not an object");
    }

    private static async Task WriteAsync(HttpContext context, int code, JsonNode body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.WriteAsync(ApiJson.Write(body), context.RequestAborted);
    }
}
