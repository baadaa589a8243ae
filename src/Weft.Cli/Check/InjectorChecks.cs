using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Autorest;
using Weft.ControlPlane.Kubernetes;
using Weft.Routing;

namespace Weft.Cli.Check;

/// <summary>The sidecar injector: its MutatingWebhookConfiguration, the caBundle the controller keeps, and a real answer.</summary>
internal static class InjectorChecks
{
    public const string Group = "injector";

    /// <summary>The probe pod's name (a dry run: nothing is stored).</summary>
    public const string ProbePodName = "weft-check-injector-probe";

    private static readonly string[] WebhookNames = [WeftInstallation.NamespaceWebhookName, WeftInstallation.PodWebhookName];

    /// <summary>The configuration's check, and the configuration when it has both webhooks.</summary>
    public static async Task<(CheckResult Result, JsonObject? Configuration)> ConfigurationAsync(CheckContext context, CancellationToken ct)
    {
        var what = $"MutatingWebhookConfiguration {WeftInstallation.WebhookConfigurationName}";
        var configuration = await KubeResource.MutatingWebhookConfigurations.GetAsync(context.Client, null, WeftInstallation.WebhookConfigurationName, ct).ConfigureAwait(false);
        if (configuration is null && context.WeftUp is { } run)
        {
            // weft up starts its pods already injected (as `weft inject` would), through no webhook.
            return (CheckResult.Skip(Group, "webhook-configuration", $"{what} does not apply: {run.ControlPlane}, which injects its pods itself"), null);
        }

        if (configuration is null)
        {
            return (CheckResult.Fail(Group, "webhook-configuration", $"{what} does not exist", "install Weft: `weft install | kubectl apply -f -`"), null);
        }

        var present = Webhooks(configuration).Select(w => w["name"].Text()).ToHashSet(StringComparer.Ordinal);
        var missing = WebhookNames.Where(n => !present.Contains(n)).ToList();
        return missing.Count == 0
            ? (CheckResult.Pass(Group, "webhook-configuration", $"{what} has webhooks {string.Join(" and ", WebhookNames)}"), configuration)
            : (CheckResult.Fail(Group, "webhook-configuration", $"{what} lacks webhook {string.Join(" and ", missing)}", "apply it again: `weft install | kubectl apply -f -`"), null);
    }

    public static CheckResult CaBundle(CheckContext context, JsonObject configuration, X509Certificate2? root)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        const string name = "webhook-ca-bundle";
        if (root is null)
        {
            return CheckResult.Fail(Group, name, "the caBundle cannot be compared: there is no usable mesh root", $"see the mesh-root checks above; {context.LogsHint}");
        }

        var stale = Webhooks(configuration)
            .Where(w => !MeshRootChecks.Holds(Decode(w["clientConfig"]?["caBundle"].Text()), root))
            .Select(w => w["name"].Text() ?? "")
            .ToList();
        return stale.Count == 0
            ? CheckResult.Pass(Group, name, "every webhook's caBundle holds the mesh root")
            : CheckResult.Fail(Group, name, $"caBundle does not hold the mesh root ({string.Join(", ", stale)})",
                $"the controller fills it when running: {context.LogsHint}");
    }

    /// <summary>
    /// A dry-run create (<c>?dryRun=All</c>) of a pod that opts in (<c>weft.dev/mesh: l7</c>) in the probe namespace:
    /// the API server calls the injector as for any pod, and answers with the pod as it would have stored it.
    /// </summary>
    public static async Task<CheckResult> AnswersAsync(CheckContext context, CancellationToken ct)
    {
        const string name = "injector-answers";
        var probe = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = ProbePodName,
                ["namespace"] = context.ProbeNamespace,
                ["annotations"] = new JsonObject { [MeshLevels.Key] = MeshLevels.L7 },
            },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "probe", ["image"] = "registry.k8s.io/pause:3.10" }),
            },
        };
        var hint = $"is the controller ready and its Service reachable from the API server? {context.LogsHint}";
        JsonObject admitted;
        try
        {
            admitted = await KubeResource.Pods.CreateAsync(context.Client, probe, ct, dryRun: true).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            return CheckResult.Fail(Group, name, $"the injector did not answer: the API server rejected a probe pod in {context.ProbeNamespace}: {KubeErrors.Describe(e)}", hint);
        }

        var containers = (admitted["spec"]?["containers"] as JsonArray ?? []).Select(c => c?["name"].Text());
        return containers.Contains(WeftInstallation.SidecarContainerName)
            ? CheckResult.Pass(Group, name, $"the injector answers (a probe pod in {context.ProbeNamespace} gets {WeftInstallation.SidecarContainerName})")
            : CheckResult.Fail(Group, name, $"the injector did not answer: a probe pod in {context.ProbeNamespace} came back without {WeftInstallation.SidecarContainerName}", hint);
    }

    private static IEnumerable<JsonObject> Webhooks(JsonObject configuration) => (configuration["webhooks"] as JsonArray ?? []).OfType<JsonObject>();

    private static string? Decode(string? base64)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return null;
        }

        try
        {
            return Encoding.ASCII.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
