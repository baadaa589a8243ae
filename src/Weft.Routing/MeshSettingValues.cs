using Weft.Api.Model;
using Weft.Routing.Authorization;
using Weft.Routing.Tracing;

namespace Weft.Routing;

/// <summary>
/// The mesh settings a namespace, a pod template or a pod sets by annotation or label (<see cref="MeshLevels.Key"/>,
/// <see cref="MeshLevels.MtlsKey"/>, <see cref="DefaultInboundPolicies.Key"/>, <see cref="OutboundPolicies.Key"/>, and
/// the tracing annotations) whose value Weft does not know. Weft skips such a value rather than guess (the next place in
/// its order, or the mesh's default, decides; <see cref="PodSettings"/>), so that a typo silently changes nothing it
/// should not; <c>weft validate</c> names each one, since nothing else would.
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

    /// <summary>
    /// Each setting of <paramref name="obj"/> (a Namespace, a Deployment's pod template, or a Pod) that Weft skips, in
    /// words ("label weft.dev/outbound-policy: 'registry_only' is not one of allow-any, registry-only; skipped"); none
    /// for any other kind of object.
    /// </summary>
    public static IEnumerable<string> Unknown(KubeObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj switch
        {
            Namespace ns => Unknown(ns.Metadata.Annotations, ns.Metadata.Labels, podAnnotations: false),
            Deployment deployment => Unknown(deployment.Template.Annotations, deployment.Template.Labels, podAnnotations: true)
                .Select(problem => $"pod template {problem}"),
            Pod pod => Unknown(pod.Metadata.Annotations, pod.Metadata.Labels, podAnnotations: true),
            _ => [],
        };
    }

    private static IEnumerable<string> Unknown(IReadOnlyDictionary<string, string> annotations, IReadOnlyDictionary<string, string> labels, bool podAnnotations)
    {
        foreach (var (map, where) in new[] { (annotations, "annotation"), (labels, "label") })
        {
            foreach (var (key, values) in Settings)
            {
                if (map.TryGetValue(key, out var value) && !values.Contains(value.Trim().ToLowerInvariant()))
                {
                    yield return $"{where} {key}: '{value}' is not one of {string.Join(", ", values)}; skipped";
                }
            }
        }

        // Tracing is read from a pod's annotations only; one that does not parse leaves the mesh's tracing.
        if (podAnnotations && !TracingSettings.TryApplyAnnotations(TracingSettings.Off, annotations, out _, out var error))
        {
            yield return $"annotation {error}; the mesh's tracing applies";
        }
    }
}
