using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>The claims of a bound service account token, as the real issuer writes them under <c>kubernetes.io</c>.</summary>
internal sealed record TokenClaims(
    string Namespace,
    string ServiceAccount,
    string ServiceAccountUid,
    string? PodName,
    string? PodUid,
    IReadOnlyList<string> Audiences,
    string Id,
    DateTimeOffset Expires);

/// <summary>
/// Signs and checks service account tokens: ES256 JWTs with the real claim layout (iss, sub, aud, exp, iat, nbf, jti and
/// the <c>kubernetes.io</c> namespace/serviceaccount/pod claims). Whether the bound objects still exist is checked by
/// the caller, which holds the store.
/// </summary>
internal sealed class TokenIssuer(TimeProvider time) : IDisposable
{
    /// <summary>The API server's own audience and issuer (the default <c>--api-audiences</c>/<c>--service-account-issuer</c>).</summary>
    public const string ApiAudience = "https://kubernetes.default.svc.cluster.local";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string Issue(string @namespace, string serviceAccount, string serviceAccountUid, string? podName, string? podUid, IReadOnlyList<string> audiences, DateTimeOffset expires)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var kubernetes = new JsonObject
        {
            ["namespace"] = @namespace,
            ["serviceaccount"] = new JsonObject { ["name"] = serviceAccount, ["uid"] = serviceAccountUid },
        };
        if (podName is not null)
        {
            kubernetes["pod"] = new JsonObject { ["name"] = podName, ["uid"] = podUid };
        }

        var payload = new JsonObject
        {
            ["aud"] = new JsonArray([.. audiences.Select(a => (JsonNode)a)]),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now,
            ["iss"] = ApiAudience,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = kubernetes,
            ["nbf"] = now,
            ["sub"] = $"system:serviceaccount:{@namespace}:{serviceAccount}",
        };
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = "weft-standin" };
        var signed = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return signed + "." + Base64Url(_key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256));
    }

    /// <summary>The token's claims when it is one of ours, correctly signed and current; otherwise why not.</summary>
    public TokenClaims? Read(string token, out string error)
    {
        error = "invalid bearer token";
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            if (!_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2]), HashAlgorithmName.SHA256))
            {
                error = "invalid bearer token, square/go-jose: error in cryptographic primitive";
                return null;
            }

            var payload = JsonNode.Parse(FromBase64Url(parts[1]))!.AsObject();
            var expires = DateTimeOffset.FromUnixTimeSeconds(payload["exp"]!.GetValue<long>());
            if (time.GetUtcNow() >= expires)
            {
                error = "invalid bearer token, service account token has expired";
                return null;
            }

            var kubernetes = payload["kubernetes.io"]!.AsObject();
            return new TokenClaims(
                kubernetes["namespace"]!.GetValue<string>(),
                kubernetes["serviceaccount"]!["name"]!.GetValue<string>(),
                kubernetes["serviceaccount"]!["uid"]!.GetValue<string>(),
                kubernetes["pod"]?["name"]?.GetValue<string>(),
                kubernetes["pod"]?["uid"]?.GetValue<string>(),
                [.. payload["aud"]!.AsArray().Select(a => a!.GetValue<string>())],
                payload["jti"]!.GetValue<string>(),
                expires);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException or System.Text.Json.JsonException or CryptographicException)
        {
            return null;
        }
    }

    public void Dispose() => _key.Dispose();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - (s.Length % 4)) % 4));
    }
}
