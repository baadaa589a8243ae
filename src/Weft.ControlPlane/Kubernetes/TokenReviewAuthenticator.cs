using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.ControlPlane.Identity;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The Kubernetes mode's workload authentication: the sidecar presents its projected service-account token (audience
/// <see cref="Audience"/>), and the API server's TokenReview says whose it is. The identity is taken from the review's
/// user (<c>system:serviceaccount:NS:SA</c>) and its pod binding, never from the request: the token must be bound to a
/// pod (a projected token is; a legacy Secret token is not), so a token stops working when its pod is deleted.
/// </summary>
public sealed class TokenReviewAuthenticator(IKubernetes client, string audience) : IWorkloadAuthenticator, IDisposable
{
    private const string ServiceAccountPrefix = "system:serviceaccount:";
    private const string PodNameExtra = "authentication.kubernetes.io/pod-name";
    private const string PodUidExtra = "authentication.kubernetes.io/pod-uid";
    /// <summary>The longest token sent to the API server for review (a service-account JWT is a few kilobytes).</summary>
    internal const int MaxTokenLength = 16 * 1024;

    // Every certificate request costs the API server a TokenReview: at most this many at once, so that a flood of requests
    // (anyone who reaches the discovery port can send them) queues here instead of loading the API server.
    private readonly SemaphoreSlim _reviews = new(16);

    /// <summary>The audience a token must be issued for (the sidecar's projected token asks for it).</summary>
    public string Audience { get; } = audience;

    /// <summary>The API server refuses a bound token whose pod (name and uid) no longer exists.</summary>
    public bool ConfirmsPodExists => true;

    public void Dispose() => _reviews.Dispose();

    public async ValueTask<WorkloadAuthentication> AuthenticateAsync(string token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return WorkloadAuthentication.Refused("no service-account token, or one too long to be one");
        }

        if (!LooksLikeJwt(token))
        {
            // Not worth the API server's time: a service-account token is a signed JWT.
            return WorkloadAuthentication.Refused("not a service-account token (a JWT)");
        }

        if (!await _reviews.WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false))
        {
            return WorkloadAuthentication.Refused("too many certificate requests at once; retry");
        }

        V1TokenReview review;
        try
        {
            review = await client.AuthenticationV1.CreateTokenReviewAsync(
                new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = [Audience] } },
                cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            // The API server (or Weft's permission to review tokens) failed: say so, without the token.
            return WorkloadAuthentication.Refused($"the API server could not review the token ({(int?)e.Response?.StatusCode} {e.Response?.ReasonPhrase})");
        }
        catch (HttpRequestException e)
        {
            return WorkloadAuthentication.Refused($"the API server could not be reached to review the token ({e.Message})");
        }
        finally
        {
            _reviews.Release();
        }

        var status = review.Status;
        if (status is null || status.Authenticated != true)
        {
            return WorkloadAuthentication.Refused(status?.Error is { Length: > 0 } error ? $"the API server refused the token: {error}" : "the API server did not authenticate the token");
        }

        // An empty list means the authenticator did not check audiences (the token was checked for the API server's own):
        // not good enough for a credential that mints workload certificates.
        if (status.Audiences is not { } audiences || !audiences.Contains(Audience))
        {
            return WorkloadAuthentication.Refused($"the API server did not confirm the token is for audience {Audience}");
        }

        var username = status.User?.Username ?? "";
        var parts = username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) ? username[ServiceAccountPrefix.Length..].Split(':') : [];
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return WorkloadAuthentication.Refused($"the token belongs to {username}, not to a service account");
        }

        if (status.User?.Extra is not { } extra || !extra.TryGetValue(PodNameExtra, out var pods) || pods is not [{ Length: > 0 } pod])
        {
            return WorkloadAuthentication.Refused("the token is not bound to a pod: mount a projected service-account token (audience " + Audience + ")");
        }

        // A certificate must not outlive its token (nor so, by much, its pod): the token's own expiry caps it.
        // The uid tells this pod from a later one of the same name (a StatefulSet's): the caller checks it against the store.
        var uid = extra.TryGetValue(PodUidExtra, out var uids) && uids is [{ Length: > 0 } podUid] ? podUid : null;
        return WorkloadAuthentication.Accepted(new WorkloadClaims(parts[0], pod, parts[1], Expiry(token), uid));
    }

    /// <summary>Three base64url parts whose first is a JSON header naming an algorithm: the shape of any JWT.</summary>
    internal static bool LooksLikeJwt(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0 || !System.Buffers.Text.Base64Url.IsValid(p)))
        {
            return false;
        }

        try
        {
            using var header = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0]));
            return header.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && header.RootElement.TryGetProperty("alg", out _);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The <c>exp</c> claim of a JWT's payload, read without checking the signature (the TokenReview did that); a token
    /// without one (it does not expire) gives <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    internal static DateTimeOffset Expiry(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return DateTimeOffset.MaxValue;
        }

        try
        {
            using var payload = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : DateTimeOffset.MaxValue;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or ArgumentOutOfRangeException)
        {
            return DateTimeOffset.MaxValue;
        }
    }
}
