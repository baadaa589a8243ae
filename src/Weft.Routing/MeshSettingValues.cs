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
    private static readonly (string Key, Func<string?, string?> Parse, IReadOnlyList<string> Values)[] Settings =
    [
        (MeshLevels.Key, MeshLevels.Parse, MeshLevels.All),
        (MeshLevels.MtlsKey, MeshLevels.ParseMtls, MeshLevels.AllMtls),
        (DefaultInboundPolicies.Key, DefaultInboundPolicies.Parse, DefaultInboundPolicies.All),
        (OutboundPolicies.Key, OutboundPolicies.Parse, OutboundPolicies.All),
    ];

    private static readonly string[] TracingKeys = [TracingSettings.CollectorAnnotation, TracingSettings.SamplingAnnotation];

    private static IEnumerable<string> AllKeys => Settings.Select(s => s.Key).Concat(TracingKeys);

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
                .. Unknown(Both(ns.Metadata.Annotations, ns.Metadata.Labels)),
                .. NotRead(Both(ns.Metadata.Annotations, ns.Metadata.Labels), TracingKeys, "tracing is read from pod templates and pods, not namespaces"),
            ],
            Deployment deployment => [
                .. OfPod(deployment.Template.Annotations, deployment.Template.Labels).Select(problem => $"pod template {problem}"),
                .. NotRead(Both(deployment.Metadata.Annotations, deployment.Metadata.Labels), AllKeys, "Weft reads its pod template's (spec.template.metadata), not the Deployment's own"),
            ],
            Pod pod => OfPod(pod.Metadata.Annotations, pod.Metadata.Labels),
            _ => [],
        };
    }

    private static (IReadOnlyDictionary<string, string> Map, string Where)[] Both(IReadOnlyDictionary<string, string> annotations, IReadOnlyDictionary<string, string> labels) =>
        [(annotations, "annotation"), (labels, "label")];

    /// <summary>A pod's (or pod template's) settings Weft skips: beside unknown values, its allow-any and tracing it does not read.</summary>
    private static IEnumerable<string> OfPod(IReadOnlyDictionary<string, string> annotations, IReadOnlyDictionary<string, string> labels)
    {
        var sources = Both(annotations, labels);
        foreach (var problem in Unknown(sources))
        {
            yield return problem;
        }

        // A pod may only tighten its namespace's outbound policy (OutboundPolicies.Resolve): its allow-any is never read.
        foreach (var (map, where) in sources)
        {
            if (map.TryGetValue(OutboundPolicies.Key, out var value) && OutboundPolicies.Parse(value) == OutboundPolicies.AllowAny)
            {
                yield return $"{where} {OutboundPolicies.Key}: '{value}' is not read: a pod may only tighten its namespace's outbound policy (to {OutboundPolicies.RegistryOnly})";
            }
        }

        // Tracing is read from a pod's annotations only; the first that does not parse leaves the mesh's tracing.
        if (!TracingSettings.TryApplyAnnotations(TracingSettings.Off, annotations, out _, out var error))
        {
            yield return $"annotation {error}; the mesh's tracing applies";
        }

        foreach (var problem in NotRead([(labels, "label")], TracingKeys, "tracing is read from annotations, not labels"))
        {
            yield return problem;
        }
    }

    /// <summary>Each setting whose value its own parser (the one Weft reads it with) does not take.</summary>
    private static IEnumerable<string> Unknown((IReadOnlyDictionary<string, string> Map, string Where)[] sources)
    {
        foreach (var (map, where) in sources)
        {
            foreach (var (key, parse, values) in Settings)
            {
                if (map.TryGetValue(key, out var value) && parse(value) is null)
                {
                    yield return $"{where} {key}: '{value}' is not one of {string.Join(", ", values)}; skipped";
                }
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

    private static IEnumerable<string> NotRead((IReadOnlyDictionary<string, string> Map, string Where)[] sources, IEnumerable<string> keys, string why) =>
        sources.SelectMany(source => keys.Where(source.Map.ContainsKey).Select(key => $"{source.Where} {key} is not read: {why}"));
}
