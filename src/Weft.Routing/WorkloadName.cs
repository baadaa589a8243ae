using Weft.Api.Model;

namespace Weft.Routing;

/// <summary>
/// The workload a pod belongs to, for metrics' <c>src_workload</c> / <c>dst_workload</c>: the Deployment of a pod its
/// ReplicaSet made (the ReplicaSet's name without the <c>-&lt;pod-template-hash&gt;</c> the Deployment controller appends),
/// the controller of any other owned pod (StatefulSet, DaemonSet, Job...), else the pod itself. The control plane
/// (for endpoints) and the injector (for the sidecar's <c>--workload</c>) ask this one rule.
/// </summary>
public static class WorkloadName
{
    /// <summary>The label the Deployment controller puts on a ReplicaSet's pods (and appends to the ReplicaSet's name).</summary>
    public const string TemplateHashLabel = "pod-template-hash";

    public static string Of(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return Of(pod.Name, pod.Metadata.Labels, pod.Metadata.OwnerReferences) ?? pod.Name;
    }

    /// <summary>
    /// The workloads of <paramref name="pods"/> as a status message names them: "namespace/workload", each once, sorted.
    /// Workloads, not pods, so that replacing a pod (a rollout, a restart) writes no new status to the API server.
    /// </summary>
    public static List<string> Keys(IEnumerable<Pod> pods)
    {
        ArgumentNullException.ThrowIfNull(pods);
        return [.. new SortedSet<string>(pods.Select(p => $"{p.Namespace}/{Of(p)}"), StringComparer.Ordinal)];
    }

    /// <param name="podName">The pod's name, or its generateName (a pod the injector sees at admission has no name yet).</param>
    /// <param name="labels">The pod's labels.</param>
    /// <param name="owners">Its owner references.</param>
    /// <returns>The workload; null when neither owner nor name says (a pod without a name yet, and no owner).</returns>
    public static string? Of(string? podName, IReadOnlyDictionary<string, string> labels, IReadOnlyList<OwnerReference> owners)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(owners);
        labels.TryGetValue(TemplateHashLabel, out var hash);
        var controller = owners.FirstOrDefault(o => o.Controller) ?? (owners.Count == 1 ? owners[0] : null);
        if (controller is { Name.Length: > 0 })
        {
            return controller.Kind == "ReplicaSet" && WithoutHash(controller.Name, hash) is { } deployment ? deployment : controller.Name;
        }

        // No owner recorded (weft up's pods): a Deployment's pods are named <deployment>-<hash>-<suffix>.
        if (!string.IsNullOrEmpty(podName) && !string.IsNullOrEmpty(hash))
        {
            var at = podName.LastIndexOf($"-{hash}-", StringComparison.Ordinal);
            if (at > 0)
            {
                return podName[..at];
            }
        }

        return string.IsNullOrEmpty(podName) || podName.EndsWith('-') ? null : podName;
    }

    /// <summary>
    /// Whether a name is a valid workload name: a Kubernetes object name (DNS-1123 subdomain: 1 to 253 lower-case
    /// letters, digits, '-' and '.', starting and ending with a letter or digit). The sidecar checks its
    /// <c>--workload</c> and a caller's claimed workload with it, so neither can carry a CR, LF or anything else into a
    /// header or a label.
    /// </summary>
    public static bool IsObjectName(ReadOnlySpan<char> name) =>
        name.Length is > 0 and <= 253 && !name.ContainsAnyExcept(ObjectNameCharacters)
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);

    private static readonly System.Buffers.SearchValues<char> ObjectNameCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-.");

    private static string? WithoutHash(string replicaSet, string? hash) =>
        !string.IsNullOrEmpty(hash) && replicaSet.EndsWith($"-{hash}", StringComparison.Ordinal) && replicaSet.Length > hash.Length + 1
            ? replicaSet[..^(hash.Length + 1)]
            : null;
}
