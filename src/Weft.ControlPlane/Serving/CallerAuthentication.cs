using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Weft.Api.Model;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Objects;
using Weft.Discovery;
using Weft.Discovery.Identity;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// Who is calling the discovery API (issue 15). Every call carries a credential in <c>authorization: Bearer</c>:
/// <list type="bullet">
/// <item>a sidecar's workload token, which names one pod (namespace, name, uid) and its service account. The token is
/// what binds a call to a pod: it is presented on every call (not only for a certificate), authenticated, and checked
/// against the store: the pod must exist, be the same incarnation (uid) and run as the token's service account, so the
/// token of a deleted or scaled-away pod is refused before it expires. A sidecar that holds its workload certificate
/// also presents it as its TLS client certificate; the certificate names a service account only (SPIFFE ns/sa), so it
/// must agree with the token and never widens it;</item>
/// <item>the admin credential (<see cref="AdminCredential"/>), for status, stat and tap (<see cref="AdminRequest"/>);</item>
/// <item>in a cluster, an operator's own Kubernetes token, for what RBAC lets its user do (<see cref="IAdminReviewer"/>).</item>
/// </list>
/// A call without a credential, or with one that does not verify, is UNAUTHENTICATED; a verified caller asking for
/// what is not its own is PERMISSION_DENIED.
/// </summary>
internal sealed class CallerAuthentication(
    IWorkloadAuthenticator authenticator,
    ObjectStore store,
    AdminCredential admin,
    MeshCertificateAuthority ca,
    TimeProvider time,
    ILogger<CallerAuthentication> logger,
    IAdminReviewer? reviewer = null)
{
    public const string Header = "authorization";
    public const string Scheme = "Bearer ";

    // An API server's TokenReview per discovery call would load it: accepted reviews are reused briefly. The store check
    // runs on every call, so a deleted pod is refused at once all the same.
    private static readonly TimeSpan ReviewReuse = TimeSpan.FromSeconds(30);
    private const int MaxCachedReviews = 4096;
    private readonly ConcurrentDictionary<string, (WorkloadClaims Claims, DateTimeOffset Until)> _reviews = new(StringComparer.Ordinal);
    private readonly LogLimiter _refusals = new(RefusalLogInterval, time);
    private readonly Lock _podsGate = new();
    private PodIndex? _pods;

    /// <summary>At most one "call refused" line per this interval, with the count of refusals held back since the last.</summary>
    public static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(1);

    /// <summary>The pod the call speaks for, or an <see cref="RpcException"/> saying why not.</summary>
    public async ValueTask<WorkloadClaims> PodAsync(ServerCallContext context)
    {
        var credential = Credential(context);
        if (AdminCredential.IsAdminShaped(credential))
        {
            throw Refuse(context, StatusCode.PermissionDenied, "the admin credential does not speak for a pod");
        }

        var claims = await AuthenticateAsync(credential, context).ConfigureAwait(false);
        var pod = FindPod(claims.Namespace, claims.PodName);
        if (pod is null && authenticator.ConfirmsPodExists && _reviews.TryRemove(credential, out _))
        {
            // A reused review may predate the pod's deletion: ask the API server again, which refuses a deleted pod's token.
            claims = await AuthenticateAsync(credential, context).ConfigureAwait(false);
        }

        if (pod is null)
        {
            throw authenticator.ConfirmsPodExists
                ? Refuse(context, StatusCode.Unavailable, $"pod {claims.Pod} is not in the control plane's view yet; retry")
                : Refuse(context, StatusCode.PermissionDenied, $"pod {claims.Pod} does not exist: its token is void");
        }

        RequireIncarnation(context, claims, pod);
        if (context.GetHttpContext().Connection.ClientCertificate is { } certificate)
        {
            // Kestrel verified the chain at the handshake (ValidateClientCertificate); here the names must agree.
            var expected = SpiffeId.ForWorkload(ca.TrustDomain, claims.Namespace, claims.ServiceAccount);
            if (!SpiffeValidation.TryReadSpiffeId(certificate, out var spiffeId, out var error) || !string.Equals(spiffeId, expected, StringComparison.Ordinal))
            {
                throw Refuse(context, StatusCode.PermissionDenied, $"the client certificate ({(error.Length > 0 ? error : spiffeId)}) is not {expected}, the token's identity");
            }
        }

        return claims;
    }

    /// <summary>The pod the call speaks for, which must be <paramref name="named"/> ("namespace/name").</summary>
    public async ValueTask<WorkloadClaims> PodNamedAsync(ServerCallContext context, string named)
    {
        var claims = await PodAsync(context).ConfigureAwait(false);
        RequireActsAs(context, claims, named);
        return claims;
    }

    /// <summary>
    /// What a long-lived stream checks on each message after <see cref="PodAsync"/> admitted it at its start: the pod is
    /// still in the store, the same incarnation and service account (PERMISSION_DENIED otherwise), so that a deleted pod's
    /// sidecar is refused at once on a stream as on a call. The store's pods are indexed, so this is a look-up.
    /// </summary>
    public void RequireStillRunning(ServerCallContext context, WorkloadClaims claims)
    {
        var pod = FindPod(claims.Namespace, claims.PodName) ?? throw Refuse(context, StatusCode.PermissionDenied, $"pod {claims.Pod} no longer exists");
        RequireIncarnation(context, claims, pod);
    }

    /// <summary>Refuses (PERMISSION_DENIED) what an authenticated pod says for another pod (<paramref name="named"/>, "namespace/name").</summary>
    public void RequireActsAs(ServerCallContext context, WorkloadClaims claims, string named)
    {
        if (!string.Equals(named, claims.Pod, StringComparison.Ordinal))
        {
            throw Refuse(context, StatusCode.PermissionDenied, $"{claims.Pod} may not act as {(named.Length == 0 ? "no pod" : named)}");
        }
    }

    /// <summary>
    /// Refuses every caller but the holder of the admin credential and, in a cluster, a user whom RBAC lets do
    /// <paramref name="request"/> (<see cref="IAdminReviewer"/>).
    /// </summary>
    public async ValueTask RequireAdminAsync(ServerCallContext context, AdminRequest request)
    {
        var credential = Credential(context);
        if (admin.Matches(credential))
        {
            return;
        }

        if (reviewer is null || AdminCredential.IsAdminShaped(credential))
        {
            throw Refuse(context, StatusCode.PermissionDenied, $"{request.Command} is for the admin credential (weft {request.Command}) only");
        }

        var review = await reviewer.ReviewAsync(credential, request, context.CancellationToken).ConfigureAwait(false);
        switch (review.Verdict)
        {
            case AdminVerdict.Allowed:
                return;
            case AdminVerdict.Denied:
                throw Refuse(context, StatusCode.PermissionDenied, review.Reason);
            default:
                throw Refuse(context, StatusCode.Unauthenticated, review.Reason);
        }
    }

    /// <summary>
    /// The client certificate check of the TLS handshake: none is fine (the token is checked per call), one must be a
    /// workload certificate of the mesh.
    /// </summary>
    public static bool ValidateClientCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, MeshCertificateAuthority ca, TimeProvider time) =>
        certificate is null
        || SpiffeValidation.Validate(certificate, [.. ca.TrustedRoots], null, time.GetUtcNow(), out _, out _);

    /// <summary>The token's pod must be <paramref name="pod"/> as it is now: the same uid, and the same service account.</summary>
    private void RequireIncarnation(ServerCallContext context, WorkloadClaims claims, Pod pod)
    {
        if (claims.PodUid is { } uid && pod.Metadata.Uid is { } podUid && !string.Equals(uid, podUid, StringComparison.Ordinal))
        {
            throw Refuse(context, StatusCode.PermissionDenied, $"the token was issued to an earlier pod {claims.Pod} (uid {uid}), not the current one");
        }

        // An empty serviceAccountName is "default", as the API server and the identities Routing computes read it.
        if (!string.Equals(pod.ServiceAccount, claims.ServiceAccount, StringComparison.Ordinal))
        {
            throw Refuse(context, StatusCode.PermissionDenied, $"pod {claims.Pod} runs as {pod.ServiceAccount}, not {claims.ServiceAccount}");
        }
    }

    private string Credential(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue(Header);
        return header is not null && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header.Length > Scheme.Length
            ? header[Scheme.Length..].Trim()
            : throw Refuse(context, StatusCode.Unauthenticated, "no credential (authorization: Bearer) was presented");
    }

    private async ValueTask<WorkloadClaims> AuthenticateAsync(string token, ServerCallContext context)
    {
        var now = time.GetUtcNow();
        if (_reviews.TryGetValue(token, out var reused) && now < reused.Until)
        {
            return reused.Claims;
        }

        var authentication = await authenticator.AuthenticateAsync(token, context.CancellationToken).ConfigureAwait(false);
        if (authentication.Claims is not { } claims)
        {
            throw Refuse(context, StatusCode.Unauthenticated, $"workload token rejected: {authentication.Error}");
        }

        if (authenticator.ConfirmsPodExists)
        {
            if (_reviews.Count >= MaxCachedReviews)
            {
                _reviews.Clear();
            }

            _reviews[token] = (claims, now + ReviewReuse < claims.Expires ? now + ReviewReuse : claims.Expires);
        }

        return claims;
    }

    /// <summary>
    /// The pod in the store's newest snapshot, by name: every discovery call asks (each sidecar reports every update it
    /// gets), so the snapshot's pods are indexed once per list the store publishes rather than scanned per call (issue 18:
    /// 5,000 reports after a push each scanned 5,000 pods).
    /// </summary>
    private Pod? FindPod(string @namespace, string name)
    {
        var pods = store.Snapshot().Mesh.Pods;
        var index = Volatile.Read(ref _pods);
        if (!ReferenceEquals(index?.Pods, pods))
        {
            lock (_podsGate)
            {
                // Built once per list, by the first caller that needs it; a caller holding an older list than the index's
                // uses a throw-away index of its own rather than put the older one back.
                index = _pods;
                if (!ReferenceEquals(index?.Pods, pods))
                {
                    index = new PodIndex(pods);
                    if (ReferenceEquals(store.Snapshot().Mesh.Pods, pods))
                    {
                        Volatile.Write(ref _pods, index);
                    }
                }
            }
        }

        return index!.ByName.GetValueOrDefault((@namespace, name));
    }

    /// <summary>A store snapshot's pods by (namespace, name); the first of a name wins, as the scan it replaces found it.</summary>
    private sealed class PodIndex
    {
        public PodIndex(IReadOnlyList<Pod> pods)
        {
            Pods = pods;
            ByName = new Dictionary<(string, string), Pod>(pods.Count);
            foreach (var pod in pods)
            {
                if (pod.Namespace is { } ns)
                {
                    ByName.TryAdd((ns, pod.Name), pod);
                }
            }
        }

        public IReadOnlyList<Pod> Pods { get; }

        public Dictionary<(string Namespace, string Name), Pod> ByName { get; }
    }

    private RpcException Refuse(ServerCallContext context, StatusCode code, string reason)
    {
        // One line per interval at most, saying how many were held back: a process hammering the port with bad calls
        // must not become a flood of log lines (issue 15).
        if (_refusals.TryTake(out var suppressed))
        {
            Log.CallRefused(logger, context.Method, context.Peer, code.ToString(), reason, suppressed);
        }

        return new RpcException(new Status(code, reason));
    }
}
