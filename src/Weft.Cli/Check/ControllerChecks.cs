using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Check;

/// <summary>Weft's namespace, the controller's Deployment, and its Lease (a controller that runs renews it).</summary>
internal static class ControllerChecks
{
    public const string Group = "controller";

    private static readonly KubeResource Deployments = new("Deployment", "apps", ["v1"], "deployments", true);

    public static async Task<CheckResult> NamespaceAsync(CheckContext context, CancellationToken ct)
    {
        var ns = await ApiReads.OrNullAsync(() => context.Client.CoreV1.ReadNamespaceAsync(context.Namespace, cancellationToken: ct)).ConfigureAwait(false);
        return ns is not null
            ? CheckResult.Pass(Group, "namespace", $"namespace {context.Namespace} exists")
            : CheckResult.Fail(Group, "namespace", $"namespace {context.Namespace} does not exist", "install Weft: `weft install | kubectl apply -f -` (or --namespace if it lives elsewhere)");
    }

    public static async Task<CheckResult> DeploymentAsync(CheckContext context, CancellationToken ct)
    {
        var deployment = await Deployments.GetAsync(context.Client, context.Namespace, WeftInstallation.ControllerName, ct).ConfigureAwait(false);
        var what = $"Deployment {context.Namespace}/{WeftInstallation.ControllerName}";
        if (deployment is null && context.WeftUp is { } run)
        {
            return CheckResult.Skip(Group, "deployment", $"{what} does not apply: {run.ControlPlane}");
        }

        if (deployment is null)
        {
            return CheckResult.Fail(Group, "deployment", $"{what} does not exist", "install Weft: `weft install | kubectl apply -f -`");
        }

        // A cluster's Deployment controller always reports status; an API without one (a test server) reports none.
        if (deployment["status"] is not JsonObject { Count: > 0 } status)
        {
            return CheckResult.Pass(Group, "deployment", $"{what} exists (no status reported)");
        }

        var ready = Int(status["readyReplicas"]);
        var wanted = Int(deployment["spec"]?["replicas"]) ?? 1;
        return ready >= 1
            ? CheckResult.Pass(Group, "deployment", $"{what}: {ready} of {wanted} replicas ready")
            : CheckResult.Fail(Group, "deployment", $"{what}: no replica ready (0 of {wanted})", context.LogsHint + $" and `kubectl -n {context.Namespace} describe deploy/{WeftInstallation.ControllerName}`");
    }

    public static async Task<CheckResult> LeaseAsync(CheckContext context, CancellationToken ct)
    {
        var lease = await ApiReads.OrNullAsync(() => context.Client.CoordinationV1.ReadNamespacedLeaseAsync(WeftInstallation.ControllerName, context.Namespace, cancellationToken: ct)).ConfigureAwait(false);
        var what = $"Lease {context.Namespace}/{WeftInstallation.ControllerName}";
        if (lease is null)
        {
            return CheckResult.Fail(Group, "lease", $"{what} does not exist: no controller has run", context.LogsHint);
        }

        var holder = lease.Spec?.HolderIdentity;
        if (string.IsNullOrEmpty(holder))
        {
            return CheckResult.Fail(Group, "lease", $"{what} is held by no one: no controller is leading", context.LogsHint);
        }

        var duration = TimeSpan.FromSeconds(lease.Spec!.LeaseDurationSeconds ?? 0);
        var renewed = lease.Spec.RenewTime ?? lease.Spec.AcquireTime;
        var now = context.Time.GetUtcNow().UtcDateTime;
        if (renewed is null)
        {
            return CheckResult.Fail(Group, "lease", $"{what} is held by {holder} but was never renewed", context.LogsHint);
        }

        var age = now - DateTime.SpecifyKind(renewed.Value, DateTimeKind.Utc);
        var ago = age.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
        return age <= duration
            ? CheckResult.Pass(Group, "lease", $"{what} held by {holder}, renewed {ago}s ago")
            : CheckResult.Fail(Group, "lease",
                $"{what} is stale: held by {holder}, last renewed {ago}s ago, beyond its {duration.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)}s",
                context.LogsHint);
    }

    private static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
}
