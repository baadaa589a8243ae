using Weft.Api.Model;
using Weft.Routing.Authorization;
using Weft.Routing.Tracing;

namespace Weft.Routing;

/// <summary>
/// The mesh settings (<see cref="MeshLevels.Key"/>, <see cref="MeshLevels.MtlsKey"/>, <see cref="DefaultInboundPolicies.Key"/>,
/// <see cref="OutboundPolicies.Key"/>, and the tracing annotations) that a namespace, a Deployment or a pod writes and
/// Weft skips: a value it does not know (it skips it rather than guess: the next place in its order, or the mesh's
/// default, decides; <see cref="PodSettings"/>), or a setting where Weft does not read it. Either way a typo changes
/// nothing and says nothing, so <c>weft validate</c> names each.
/// </summary>
public static class MeshSettingValues
{
    private static readonly (string Key, IReadOnlyList<string> Values)[] Settings =
    [
        (MeshLevels.Key, [MeshLevels.Off, MeshLevels.L4, MeshLevels.L7]),
        (MeshLevels.MtlsKey, [MeshLevels.MtlsStrict, MeshLevels.MtlsPermissive]),
        (DefaultInboundPolicies.Key, DefaultInboundPolicies.All),
        (OutboundPolicies.Key, OutboundPolicies.All),
    ];

    private static readonly string[] TracingKeys = [TracingSettings.CollectorAnnotation, TracingSettings.SamplingAnnotation];

    /// <summary>
    /// Each setting of <paramref name="obj"/> (a Namespace, a Deployment or a Pod) that Weft skips, in words ("label
    /// weft.dev/outbound-policy: 'registry_only' is not one of allow-any, registry-only; skipped"); none for any other kind.
    /// </summary>
    public static IEnumerable<string> Skipped(KubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj switch
        {
            Namespace ns => [
                .. Values(ns.Metadata.Annotations, ns.Metadata.Labels, pod: false),
                .. NotRead(ns.Metadata.Annotations, "annotation", TracingKeys, "tracing is read from pod templates and pods, not namespaces"),
                .. NotRead(ns.Metadata.Labels, "label", TracingKeys, "tracing is read from pod templates and pods, not namespaces"),
            ],
            Deployment deployment => [
                .. Values(deployment.Template.Annotations, deployment.Template.Labels, pod: true).Select(problem => $"pod template {problem}"),
                .. NotRead(deployment.Metadata.Annotations, "annotation", AllKeys, "Weft reads its pod template's (spec.template.metadata), not the Deployment's own"),
                .. NotRead(deployment.Metadata.Labels, "label", AllKeys, "Weft reads its pod template's (spec.template.metadata), not the Deployment's own"),
            ],
            Pod pod => Values(pod.Metadata.Annotations, pod.Metadata.Labels, pod: true),
            _ => [],
        };
    }

    private static IEnumerable<string> AllKeys => Settings.Select(s => s.Key).Concat(TracingKeys);

    private static IEnumerable<string> Values(IReadOnlyDictionary<string, string> annotations, IReadOnlyDictionary<string, string> labels, bool pod)
    {
        foreach (var (map, where) in new[] { (annotations, "annotation"), (labels, "label") })
        {
            foreach (var (key, values) in Settings)
            {
                if (map.TryGetValue(key, out var value) && !values.Contains(value.Trim().ToLowerInvariant()))
                {
                    yield return $"{where} {key}: '{value}' is not one of {string.Join(", ", values)}; skipped";
                }
                else if (pod && key == OutboundPolicies.Key && value is not null && OutboundPolicies.Parse(value) == OutboundPolicies.AllowAny)
                {
                    yield return $"{where} {key}: '{value}' is not read: a pod may only tighten its namespace's outbound policy (to {OutboundPolicies.RegistryOnly})";
                }
            }
        }

        // Tracing is read from a pod's annotations only; the first that does not parse leaves the mesh's tracing.
        if (pod && !TracingSettings.TryApplyAnnotations(TracingSettings.Off, annotations, out _, out var error))
        {
            yield return $"annotation {error}; the mesh's tracing applies";
        }

        if (pod)
        {
            foreach (var problem in NotRead(labels, "label", TracingKeys, "tracing is read from annotations, not labels"))
            {
                yield return problem;
            }
        }
    }

    /// <summary>
    /// What a namespace's mesh level means for the sidecar injector's webhooks in a cluster, when Weft's reading and the
    /// webhooks' selection disagree (not a skipped setting: <c>weft validate</c> prints it as a warning). Weft reads the
    /// level from the namespace's annotation or label in any spelling; the webhook that fails closed selects namespaces by
    /// the label's exact value (<c>l4</c> or <c>l7</c>). A namespace meshed otherwise (annotated, or labelled <c>L7</c>)
    /// goes through the webhook that fails open, so its pods can start without a sidecar while the injector is
    /// unreachable; one labelled <c>l7</c> but annotated <c>off</c> goes through the one that fails closed, so its pods
    /// cannot start then, though Weft leaves them out of the mesh.
    /// </summary>
    /// <param name="obj">The object; only a Namespace can have a warning.</param>
    /// <param name="unselected">Namespaces neither webhook selects (the cluster's own and Weft's): no warning for them.</param>
    public static IEnumerable<string> Warnings(KubeObject obj, IEnumerable<string> unselected)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(unselected);
        if (obj is not Namespace ns || unselected.Contains(ns.Name, StringComparer.Ordinal))
        {
            yield break;
        }

        var (annotations, labels) = (ns.Metadata.Annotations, ns.Metadata.Labels);
        var level = MeshLevels.Requested([annotations, labels]);
        var meshed = level is MeshLevels.L4 or MeshLevels.L7;
        var failsClosed = labels.TryGetValue(MeshLevels.Key, out var label) && label is MeshLevels.L4 or MeshLevels.L7;
        if (meshed && !failsClosed)
        {
            var (where, value) = MeshLevels.Requested([annotations]) is not null ? ("annotation", annotations[MeshLevels.Key]) : ("label", labels[MeshLevels.Key]);
            yield return $"{where} {MeshLevels.Key}: '{value}' meshes the namespace at {level}, but in a cluster the sidecar injector's webhook that fails closed "
                + $"selects namespaces by the exact label {MeshLevels.Key}={level}: without it, its pods can start without a sidecar while the injector is unreachable";
        }
        else if (!meshed && failsClosed)
        {
            yield return $"label {MeshLevels.Key}: '{label}' puts the namespace under the sidecar injector's webhook that fails closed, but its annotation "
                + $"{MeshLevels.Key}: '{annotations[MeshLevels.Key]}' (read first) leaves it out of the mesh: its pods (but those labelled {MeshLevels.Key}=off) cannot start while the injector is unreachable";
        }
    }

    private static IEnumerable<string> NotRead(IReadOnlyDictionary<string, string> map, string where, IEnumerable<string> keys, string why) =>
        keys.Where(map.ContainsKey).Select(key => $"{where} {key} is not read: {why}");
}
