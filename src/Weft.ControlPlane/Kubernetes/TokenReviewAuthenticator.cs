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
public sealed class TokenReviewAuthenticator(IKubernetes client, string audience) : IWorkloadAuthenticator
{
    private const string ServiceAccountPrefix = "system:serviceaccount:";
    private const string PodNameExtra = "authentication.kubernetes.io/pod-name";
    private const int MaxTokenLength = 16 * 1024;

    /// <summary>The audience a token must be issued for (the sidecar's projected token asks for it).</summary>
    public string Audience { get; } = audience;

    public async ValueTask<WorkloadAuthentication> AuthenticateAsync(string token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return WorkloadAuthentication.Refused("no service-account token, or one too long to be one");
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

        var status = review.Status;
        if (status is null || status.Authenticated != true)
        {
            return WorkloadAuthentication.Refused(status?.Error is { Length: > 0 } error ? $"the API server refused the token: {error}" : "the API server did not authenticate the token");
        }

        if (status.Audiences is { Count: > 0 } audiences && !audiences.Contains(Audience))
        {
            return WorkloadAuthentication.Refused($"the token is not for audience {Audience}");
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

        return WorkloadAuthentication.Accepted(new WorkloadClaims(parts[0], pod, parts[1], DateTimeOffset.MaxValue));
    }
}
