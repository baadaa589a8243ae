using k8s;
using k8s.Autorest;

namespace Weft.Cli.Check;

/// <summary>The API server: reachable, and serving the built-in API groups the controller uses.</summary>
internal static class ApiServerChecks
{
    public const string Group = "kubernetes-api";

    /// <summary>Group versions the controller reads or writes besides core/v1 (EndpointSlices, its Lease, TokenReviews).</summary>
    public static IReadOnlyList<string> NeededGroupVersions { get; } = ["discovery.k8s.io/v1", "coordination.k8s.io/v1", "authentication.k8s.io/v1"];

    /// <summary>What to do about a 401: the credentials are not accepted, so no permission (RBAC) is even looked at.</summary>
    public const string CredentialsHint = "the server does not accept the kubeconfig's user (its token or client certificate: wrong, expired or revoked): "
        + "check the user of --kubeconfig and --context; `kubectl get ns` (or `kubectl version`) with the same kubeconfig and context is refused the same way";

    /// <summary>
    /// The server answers, and accepts the kubeconfig's credentials: <c>/version</c> may be read anonymously, so core
    /// discovery (<c>/api</c>, which any authenticated user may read) is asked too. A 401 ends the run here, once, rather
    /// than as every later check's failure.
    /// </summary>
    public static async Task<CheckResult> ReachableAsync(CheckContext context, CancellationToken ct)
    {
        var host = (context.Client as Kubernetes)?.BaseUri?.ToString().TrimEnd('/') ?? "the API server";
        try
        {
            var version = await context.Client.Version.GetCodeAsync(ct).ConfigureAwait(false);
            await context.Client.Core.GetAPIVersionsAsync(ct).ConfigureAwait(false);
            return CheckResult.Pass(Group, "api-reachable", $"can reach the API server at {host} (Kubernetes {version.GitVersion})");
        }
        catch (HttpOperationException e) when (Weft.ControlPlane.Kubernetes.KubeErrors.IsUnauthorized(e))
        {
            return CheckResult.Fail(Group, "api-reachable", $"the API server at {host} does not accept the kubeconfig's credentials: {Weft.ControlPlane.Kubernetes.KubeErrors.Describe(e)}", CredentialsHint);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or TaskCanceledException)
        {
            return CheckResult.Fail(Group, "api-reachable", $"cannot reach the API server at {host}: {Weft.ControlPlane.Kubernetes.KubeErrors.Describe(e)}",
                "check --kubeconfig and --context, and that `kubectl version` answers");
        }
    }

    public static async Task<CheckResult> ServesWhatWeftNeedsAsync(CheckContext context, CancellationToken ct)
    {
        var groups = await context.Client.Apis.GetAPIVersionsAsync(ct).ConfigureAwait(false);
        var served = groups.Groups.SelectMany(g => g.Versions).Select(v => v.GroupVersion).ToHashSet(StringComparer.Ordinal);
        var missing = NeededGroupVersions.Where(v => !served.Contains(v)).ToList();
        return missing.Count == 0
            ? CheckResult.Pass(Group, "api-groups", $"serves {string.Join(", ", NeededGroupVersions)}")
            : CheckResult.Fail(Group, "api-groups", $"does not serve {string.Join(", ", missing)}", "Weft needs Kubernetes 1.21 or later");
    }
}
