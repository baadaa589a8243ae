using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.ControlPlane.Identity;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The Kubernetes mode's operators (<c>weft status</c>, <c>stat</c>, <c>tap</c>, <c>top</c>, <c>dashboard</c> with a
/// kubeconfig): the CLI presents its kubeconfig user's bearer token; the API server says whose it is (a TokenReview for
/// the server's own audiences, the token the user already sends it) and whether RBAC lets that user do the
/// <see cref="AdminRequest"/> (a SubjectAccessReview of <c>VERB RESOURCE.weft.dev</c> in the namespace), as Linkerd's tap
/// server authorizes <c>tap.linkerd.io</c>. The control plane never sees a password and keeps no user list of its own;
/// <c>weft install</c>'s ClusterRoles <c>weft-mesh-viewer</c> and <c>weft-tap</c> grant the three resources.
/// </summary>
public sealed class KubeAdminReviewer(IKubernetes client, TimeProvider time) : IAdminReviewer, IDisposable
{
    private const int MaxCached = 1024;

    // A dashboard asks every few seconds: an allowed review is reused briefly, as the API server's own webhook authorizer
    // caches (there five minutes; here short, so a removed RoleBinding takes effect within it). Refusals are not cached.
    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(10);

    // Reviews cost the API server: at most this many at once, so that a flood (anyone who reaches the port can send
    // calls) queues here instead of loading it.
    private readonly SemaphoreSlim _reviews = new(8);
    private readonly ConcurrentDictionary<(string Token, AdminRequest Request), (string User, DateTimeOffset Until)> _allowed = new();

    public void Dispose() => _reviews.Dispose();

    public async ValueTask<AdminReview> ReviewAsync(string credential, AdminRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(credential) || credential.Length > TokenReviewAuthenticator.MaxTokenLength)
        {
            return AdminReview.Unauthenticated("no bearer token, or one too long to be one");
        }

        var now = time.GetUtcNow();
        if (_allowed.TryGetValue((credential, request), out var cached) && now < cached.Until)
        {
            return AdminReview.Allow(cached.User);
        }

        if (!await _reviews.WaitAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false))
        {
            return AdminReview.Unauthenticated("too many reviews at once; retry");
        }

        try
        {
            var user = await AuthenticateAsync(credential, ct).ConfigureAwait(false);
            if (user.Username is not { Length: > 0 } name)
            {
                return AdminReview.Unauthenticated(user.Error);
            }

            var access = await client.AuthorizationV1.CreateSubjectAccessReviewAsync(
                new V1SubjectAccessReview
                {
                    Spec = new V1SubjectAccessReviewSpec
                    {
                        User = name,
                        Groups = user.Groups,
                        Uid = user.Uid,
                        Extra = user.Extra,
                        ResourceAttributes = new V1ResourceAttributes
                        {
                            Group = AdminRequest.Group,
                            Resource = request.Resource,
                            Verb = request.Verb,
                            NamespaceProperty = request.Namespace ?? "",
                        },
                    },
                },
                cancellationToken: ct).ConfigureAwait(false);
            if (access.Status is not { Allowed: true })
            {
                var why = access.Status?.EvaluationError is { Length: > 0 } error ? $" ({error})" : "";
                var role = request.Resource == AdminRequest.TapsResource ? WeftInstallation.TapRoleName : WeftInstallation.ViewerRoleName;
                return AdminReview.Deny(name, $"{name} may not {request} (RBAC: bind the ClusterRole {role} to them){why}");
            }

            if (_allowed.Count >= MaxCached)
            {
                _allowed.Clear();
            }

            _allowed[(credential, request)] = (name, now + Reuse);
            return AdminReview.Allow(name);
        }
        catch (HttpOperationException e)
        {
            // The API server (or Weft's permission to ask it) failed: say so, without the token.
            return AdminReview.Unauthenticated($"the API server could not review the caller ({(int?)e.Response?.StatusCode} {e.Response?.ReasonPhrase})");
        }
        catch (HttpRequestException e)
        {
            return AdminReview.Unauthenticated($"the API server could not be reached to review the caller ({e.Message})");
        }
        finally
        {
            _reviews.Release();
        }
    }

    /// <summary>Who the token is to the API server (its own audiences: the token a kubeconfig holds), or why no one.</summary>
    private async Task<(string? Username, IList<string>? Groups, string? Uid, IDictionary<string, IList<string>>? Extra, string Error)> AuthenticateAsync(string token, CancellationToken ct)
    {
        var review = await client.AuthenticationV1.CreateTokenReviewAsync(
            new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } },
            cancellationToken: ct).ConfigureAwait(false);
        var status = review.Status;
        if (status is null || status.Authenticated != true || status.User?.Username is not { Length: > 0 } username)
        {
            return (null, null, null, null, status?.Error is { Length: > 0 } error
                ? $"the API server refused the token: {error}"
                : "the API server did not authenticate the token (use a kubeconfig user with a bearer token)");
        }

        return (username, status.User.Groups, status.User.Uid, status.User.Extra, "");
    }
}
