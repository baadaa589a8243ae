using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The caBundle of Weft's MutatingWebhookConfiguration: the API server trusts the injector's certificate (issued by the
/// mesh CA) only through it. <c>weft install</c> leaves it empty; the controller writes the trust bundle there and writes
/// it again whenever the configuration changes (a re-applied install, an edit) or the bundle does.
/// </summary>
public static class WebhookCaBundle
{
    /// <summary>Sets every webhook's <c>clientConfig.caBundle</c> to <paramref name="bundlePem"/>; false when there was nothing to change or no such configuration.</summary>
    public static async Task<bool> SyncAsync(IKubernetes client, string name, string bundlePem, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        var encoded = Convert.ToBase64String(Encoding.ASCII.GetBytes(bundlePem));
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var configuration = await KubeResource.MutatingWebhookConfigurations.GetAsync(client, null, name, ct).ConfigureAwait(false);
            if (configuration is null || !Update(configuration, encoded))
            {
                return false;
            }

            try
            {
                await KubeResource.MutatingWebhookConfigurations.ReplaceAsync(client, configuration, ct).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (KubeErrors.IsConflict(e))
            {
                // Changed in between (an apply): read it again.
            }
        }

        throw new InvalidOperationException($"MutatingWebhookConfiguration {name} kept changing under five attempts to set its caBundle");
    }

    /// <summary>True when <paramref name="configuration"/>'s every webhook holds <paramref name="bundlePem"/> as its caBundle.</summary>
    public static bool IsCurrent(JsonObject configuration, string bundlePem)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !Update((JsonObject)configuration.DeepClone(), Convert.ToBase64String(Encoding.ASCII.GetBytes(bundlePem)));
    }

    private static bool Update(JsonObject configuration, string encoded)
    {
        var changed = false;
        foreach (var webhook in (configuration["webhooks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (webhook["clientConfig"] is not JsonObject clientConfig)
            {
                webhook["clientConfig"] = clientConfig = new JsonObject();
            }

            if (clientConfig["caBundle"].Text() == encoded)
            {
                continue;
            }

            clientConfig["caBundle"] = encoded;
            changed = true;
        }

        return changed;
    }
}
