using k8s;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Check;

/// <summary>
/// Weft's own CRD, AuthorizationPolicy: installed, and serving the version the controller reads. Required, unlike the
/// optional Gateway API kinds: without it the controller reads no AuthorizationPolicy (the kind reads as empty), so every
/// workload answers to the default inbound policy alone and a DENY is silently gone (deleting a CRD deletes its
/// objects); and no one else installs it, so there is no other installer's release to leave room for.
/// </summary>
internal static class WeftApiChecks
{
    public const string Group = "weft-api";

    public static string Hint => "install it: `weft install --crds | kubectl apply --server-side -f -` (or `kubectl apply --server-side -k deploy/crds/`)";

    public static async Task<CheckResult> AuthorizationPolicyCrdAsync(CheckContext context, CancellationToken ct)
    {
        var kind = KubeResource.AuthorizationPolicies;
        var name = $"crd/{kind.QualifiedName}";
        var found = await ApiReads.OrNullAsync(() => context.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(kind.QualifiedName, cancellationToken: ct)).ConfigureAwait(false);
        if (found is null)
        {
            return CheckResult.Fail(Group, name,
                $"CRD {kind.QualifiedName} ({kind.Kind}) is not installed: the controller reads no {kind.Kind}, so every workload answers to the default inbound policy alone", Hint);
        }

        var served = (found.Spec?.Versions ?? []).Where(v => v.Served).Select(v => v.Name).ToList();
        var read = kind.Versions.FirstOrDefault(served.Contains);
        return read is null
            ? CheckResult.Fail(Group, name,
                $"CRD {kind.QualifiedName} serves {(served.Count == 0 ? "no version" : string.Join(", ", served))}; Weft reads {kind.Group}/{string.Join(" or ", kind.Versions)}", Hint)
            : CheckResult.Pass(Group, name, $"CRD {kind.QualifiedName} ({kind.Kind}, serves {read})");
    }
}
