using System.Security.Cryptography.X509Certificates;
using k8s.Autorest;
using Weft.Cli.Install;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Check;

/// <summary>
/// <c>weft check</c>'s checks in order, group by group: the API server, the Gateway API CRDs, Weft's own CRD, the
/// controller, the mesh root, the injector. Of a mesh that a <c>weft up --kubeconfig</c> runs (<see cref="WeftUpRun"/>),
/// the controller's Deployment and the injector's webhook do not apply: its control plane is in that process. An unreachable API server, or one that does not accept the credentials, ends
/// the run (everything else would fail for that one reason); after that every check runs, so one run lists everything
/// that is wrong.
/// </summary>
internal static class ClusterCheck
{
    public static async Task<IReadOnlyList<CheckResult>> RunAsync(CheckContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var results = new List<CheckResult>();
        var reachable = await ApiServerChecks.ReachableAsync(context, ct).ConfigureAwait(false);
        results.Add(reachable);
        if (!reachable.Ok)
        {
            return results;
        }

        results.Add(await Guarded(ApiServerChecks.Group, "api-groups", () => ApiServerChecks.ServesWhatWeftNeedsAsync(context, ct)).ConfigureAwait(false));
        context = context with { WeftUp = await WeftUpAsync(context, ct).ConfigureAwait(false) };
        foreach (var crd in GatewayApiCrds.All)
        {
            results.Add(await Guarded(GatewayApiChecks.Group, $"crd/{crd.Name}", () => GatewayApiChecks.CrdAsync(context, crd, ct)).ConfigureAwait(false));
        }

        results.Add(await Guarded(WeftApiChecks.Group, $"crd/{KubeResource.AuthorizationPolicies.QualifiedName}", () => WeftApiChecks.AuthorizationPolicyCrdAsync(context, ct)).ConfigureAwait(false));

        results.Add(await Guarded(ControllerChecks.Group, "namespace", () => ControllerChecks.NamespaceAsync(context, ct)).ConfigureAwait(false));
        results.Add(await Guarded(ControllerChecks.Group, "deployment", () => ControllerChecks.DeploymentAsync(context, ct)).ConfigureAwait(false));
        results.Add(await Guarded(ControllerChecks.Group, "lease", () => ControllerChecks.LeaseAsync(context, ct)).ConfigureAwait(false));

        X509Certificate2? root = null;
        try
        {
            try
            {
                var (secret, found) = await MeshRootChecks.SecretAsync(context, ct).ConfigureAwait(false);
                results.Add(secret);
                root = found;
            }
            catch (Exception e) when (IsApiError(e))
            {
                results.Add(Unreadable(MeshRootChecks.Group, "ca-secret", e));
            }

            if (root is not null)
            {
                results.Add(MeshRootChecks.Validity(context, root));
                results.Add(await Guarded(MeshRootChecks.Group, "trust-bundle", () => MeshRootChecks.TrustBundleAsync(context, root, ct)).ConfigureAwait(false));
            }

            try
            {
                var (configuration, webhooks) = await InjectorChecks.ConfigurationAsync(context, ct).ConfigureAwait(false);
                results.Add(configuration);
                if (webhooks is not null)
                {
                    results.Add(InjectorChecks.CaBundle(context, webhooks, root));
                    results.Add(await Guarded(InjectorChecks.Group, "injector-answers", () => InjectorChecks.AnswersAsync(context, ct)).ConfigureAwait(false));
                }
            }
            catch (Exception e) when (IsApiError(e))
            {
                results.Add(Unreadable(InjectorChecks.Group, "webhook-configuration", e));
            }
        }
        finally
        {
            root?.Dispose();
        }

        return results;
    }

    // A node Lease the kubeconfig's user may not read says nothing: the checks apply as on any cluster.
    private static async Task<WeftUpRun?> WeftUpAsync(CheckContext context, CancellationToken ct)
    {
        try
        {
            return await WeftUpRun.ReadAsync(context, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsApiError(e))
        {
            return null;
        }
    }

    // A check whose read fails other than by 404 (403: the kubeconfig's user may not read it) is a failed check, not a crash.
    private static async Task<CheckResult> Guarded(string group, string name, Func<Task<CheckResult>> check)
    {
        try
        {
            return await check().ConfigureAwait(false);
        }
        catch (Exception e) when (IsApiError(e))
        {
            return Unreadable(group, name, e);
        }
    }

    private static bool IsApiError(Exception e) => e is HttpOperationException or HttpRequestException or IOException;

    // 403 is RBAC's no; a 401 (credentials that stopped being accepted during the run) is not about permissions.
    private static CheckResult Unreadable(string group, string name, Exception e) =>
        CheckResult.Fail(group, name, $"{name}: cannot read it: {KubeErrors.Describe(e)}", KubeErrors.IsUnauthorized(e)
            ? ApiServerChecks.CredentialsHint
            : "check that your kubeconfig's user may read Weft's objects (`kubectl auth can-i --list`)");
}
