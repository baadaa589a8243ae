using System.Security.Cryptography;
using System.Text;
using Weft.Api.Model;

namespace Weft.Cli.Local;

/// <summary>
/// Pod names as Kubernetes makes them for a Deployment: <c>&lt;deployment&gt;-&lt;pod-template-hash&gt;-&lt;suffix&gt;</c>,
/// where the hash (10 hex digits here) names the ReplicaSet of one template and the suffix is 5 random characters.
/// </summary>
internal static class PodNames
{
    /// <summary>The alphabet of Kubernetes' random name suffixes (apimachinery utilrand: no vowels, no 0/1/3).</summary>
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>A stable hash of the pod template: the same template gives the same ReplicaSet name.</summary>
    public static string TemplateHash(Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var text = new StringBuilder();
        var template = deployment.Template;
        foreach (var (key, value) in template.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            text.Append("label:").Append(key).Append('=').Append(value).Append('\n');
        }

        // The annotations too, as the Deployment controller's hash covers the whole template: a pod's weft.dev/* settings
        // (mesh level, mTLS mode, tracing) are its template's annotations, read when the pod is made, so an edit of one
        // rolls the pods as `kubectl apply` would (and as `kubectl rollout restart`'s restartedAt annotation does).
        foreach (var (key, value) in template.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            text.Append("annotation:").Append(key).Append('=').Append(value).Append('\n');
        }

        text.Append("sa:").Append(template.Spec.ServiceAccountName).Append('\n');
        if (template.Spec.TerminationGracePeriodSeconds is { } grace)
        {
            // Only when set, so that a template without it keeps the hash (and pod names) it had.
            text.Append("grace:").Append(grace).Append('\n');
        }

        foreach (var container in template.Spec.Containers)
        {
            text.Append("container:").Append(container.Name).Append('\n')
                .Append("image:").Append(container.Image).Append('\n');
            foreach (var part in container.Command)
            {
                text.Append("command:").Append(part).Append('\n');
            }

            foreach (var arg in container.Args)
            {
                text.Append("arg:").Append(arg).Append('\n');
            }

            foreach (var port in container.Ports)
            {
                text.Append("port:").Append(port.Name).Append('/').Append(port.Port).Append('/').Append(port.Protocol).Append('\n');
            }

            foreach (var env in container.Env)
            {
                text.Append("env:").Append(env.Name).Append('=').Append(env.Value).Append('\n');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..10];
    }

    public static string NewPodName(string deploymentName, string templateHash, Random? random = null)
    {
        random ??= Random.Shared;
        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = SuffixAlphabet[random.Next(SuffixAlphabet.Length)];
        }

        return $"{deploymentName}-{templateHash}-{suffix}";
    }
}
