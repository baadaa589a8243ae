using System.Globalization;
using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// TokenRequest (<c>serviceaccounts/{name}/token</c>), TokenReview and bearer authentication with the tokens it
/// issues. A token is valid while it is unexpired, its ServiceAccount exists with the uid it was issued for, and, when
/// bound to a Pod, that Pod exists with the bound uid (the real server's bound-token checks). The kubeconfig's static
/// admin token (<paramref name="adminToken"/>) is <see cref="AdminUser"/>, as a static token file's entry would be,
/// and a TokenReview answers for it too (audience-agnostic: valid for the server's own audience only).
/// </summary>
internal sealed class ServiceAccountTokens(ObjectStore store, TokenIssuer issuer, TimeProvider time, string adminToken)
{
    /// <summary>The static admin token's user, as <c>kubeadm</c>'s admin kubeconfig user is known.</summary>
    public static JsonObject AdminUser() =>
        new() { ["username"] = "kubernetes-admin", ["groups"] = new JsonArray("system:masters", "system:authenticated") };

    /// <summary>Whether <paramref name="token"/> is the static admin token.</summary>
    public bool IsAdmin(string token) => token.Length > 0 && token == adminToken;

    public string Issue(string @namespace, string serviceAccount, string? podName, string? podUid, IReadOnlyList<string> audiences, TimeSpan lifetime)
    {
        lock (store.Gate)
        {
            var sa = store.Get(BuiltInResources.ServiceAccounts.StorageKey, new ObjectKey(@namespace, serviceAccount))
                ?? throw ApiException.NotFound(BuiltInResources.ServiceAccounts, serviceAccount);
            if (podName is not null)
            {
                var pod = store.Get(BuiltInResources.Pods.StorageKey, new ObjectKey(@namespace, podName))
                    ?? throw ApiException.NotFound(BuiltInResources.Pods, podName);
                var uid = ObjectMeta.Uid(pod)!;
                if (podUid is { Length: > 0 } && podUid != uid)
                {
                    throw ApiException.Conflict(BuiltInResources.Pods, podName, $"the UID in the bound object reference ({podUid}) does not match the UID in record. The object might have been deleted and then recreated");
                }

                podUid = uid;
            }

            return issuer.Issue(@namespace, serviceAccount, ObjectMeta.Uid(sa)!, podName, podName is null ? null : podUid, audiences, time.GetUtcNow() + lifetime);
        }
    }

    /// <summary>POST <c>.../serviceaccounts/{name}/token</c>.</summary>
    public JsonObject TokenRequest(string @namespace, string serviceAccount, JsonObject body)
    {
        var spec = body["spec"] as JsonObject ?? [];
        var audiences = spec["audiences"] is JsonArray { Count: > 0 } a ? [.. a.Select(x => x!.ToString())] : new List<string> { TokenIssuer.ApiAudience };
        var seconds = spec["expirationSeconds"]?.GetValue<long>() ?? 3600;
        if (seconds < 600)
        {
            throw ApiException.Invalid(new ResourceType { Group = "authentication.k8s.io", Plural = "tokenrequests", Singular = "", Kind = "TokenRequest", Namespaced = true, Versions = ["v1"], StorageVersion = "v1" },
                serviceAccount, "spec.expirationSeconds", "FieldValueInvalid", $"Invalid value: {seconds}: may not specify a duration less than 10 minutes");
        }

        string? podName = null;
        string? podUid = null;
        if (spec["boundObjectRef"] is JsonObject bound)
        {
            if (bound["kind"]?.ToString() != "Pod")
            {
                throw ApiException.BadRequest($"cannot bind token to object of type {bound["kind"]}: only Pod is modelled");
            }

            podName = bound["name"]?.ToString();
            podUid = bound["uid"]?.ToString();
        }

        var token = Issue(@namespace, serviceAccount, podName, podUid, audiences, TimeSpan.FromSeconds(seconds));
        var expires = time.GetUtcNow().AddSeconds(seconds);
        var answeredSpec = spec.DeepClone().AsObject();
        answeredSpec["audiences"] = new JsonArray([.. audiences.Select(x => (JsonNode)x)]);
        answeredSpec["expirationSeconds"] = seconds;
        return new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = serviceAccount,
                ["namespace"] = @namespace,
                ["creationTimestamp"] = Timestamp(time.GetUtcNow()),
            },
            ["spec"] = answeredSpec,
            ["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = Timestamp(expires) },
        };
    }

    /// <summary>POST <c>tokenreviews</c>: never stored; answers the review with its status filled in.</summary>
    public JsonObject TokenReview(JsonObject body)
    {
        var spec = body["spec"] as JsonObject ?? [];
        var wanted = spec["audiences"] is JsonArray { Count: > 0 } a ? a.Select(x => x!.ToString()).ToList() : [TokenIssuer.ApiAudience];
        var status = new JsonObject { ["user"] = new JsonObject() };
        var token = spec["token"]?.ToString() ?? "";
        if (IsAdmin(token))
        {
            // An audience-agnostic authenticator (a static token) authenticates for the API server's own audience only.
            if (wanted.Contains(TokenIssuer.ApiAudience))
            {
                status["authenticated"] = true;
                status["user"] = AdminUser();
                status["audiences"] = new JsonArray(TokenIssuer.ApiAudience);
            }
            else
            {
                status["error"] = "[invalid bearer token, token audiences is invalid for the target audiences]";
            }

            return Answer(spec, status);
        }

        var claims = Authenticate(token, wanted, out var error);
        if (claims is null)
        {
            status["error"] = error;
        }
        else
        {
            var extra = new JsonObject { ["authentication.kubernetes.io/credential-id"] = new JsonArray("JTI=" + claims.Id) };
            if (claims.PodName is not null)
            {
                extra["authentication.kubernetes.io/pod-name"] = new JsonArray(claims.PodName);
                extra["authentication.kubernetes.io/pod-uid"] = new JsonArray(claims.PodUid);
            }

            status["authenticated"] = true;
            status["user"] = new JsonObject
            {
                ["username"] = $"system:serviceaccount:{claims.Namespace}:{claims.ServiceAccount}",
                ["uid"] = claims.ServiceAccountUid,
                ["groups"] = new JsonArray("system:serviceaccounts", "system:serviceaccounts:" + claims.Namespace, "system:authenticated"),
                ["extra"] = extra,
            };
            status["audiences"] = new JsonArray([.. claims.Audiences.Intersect(wanted).Select(x => (JsonNode)x)]);
        }

        return Answer(spec, status);
    }

    private static JsonObject Answer(JsonObject spec, JsonObject status) =>
        new JsonObject
        {
            ["kind"] = "TokenReview",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };

    /// <summary>The token's claims when it authenticates for one of <paramref name="audiences"/>; otherwise null and why.</summary>
    public TokenClaims? Authenticate(string token, IReadOnlyList<string> audiences, out string error)
    {
        var claims = issuer.Read(token, out error);
        if (claims is null)
        {
            return null;
        }

        if (!claims.Audiences.Intersect(audiences).Any())
        {
            error = $"[invalid bearer token, token audiences [{string.Join(" ", claims.Audiences)}] is invalid for the target audiences [{string.Join(" ", audiences)}]]";
            return null;
        }

        lock (store.Gate)
        {
            var sa = store.Get(BuiltInResources.ServiceAccounts.StorageKey, new ObjectKey(claims.Namespace, claims.ServiceAccount));
            if (sa is null || ObjectMeta.Uid(sa) != claims.ServiceAccountUid)
            {
                error = $"[invalid bearer token, service account {claims.Namespace}/{claims.ServiceAccount} has been deleted]";
                return null;
            }

            if (claims.PodName is not null)
            {
                var pod = store.Get(BuiltInResources.Pods.StorageKey, new ObjectKey(claims.Namespace, claims.PodName));
                if (pod is null || ObjectMeta.Uid(pod) != claims.PodUid)
                {
                    error = $"[invalid bearer token, pod \"{claims.PodName}\" not found]";
                    return null;
                }
            }
        }

        return claims;
    }

    private static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
