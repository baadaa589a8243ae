using Weft.Api.Model;

namespace Weft.Routing;

/// <summary>
/// A workload's mesh setting read the way Weft reads each of them (the default inbound policy, the outbound policy): the
/// first valid value of the key among the pod's annotations, the pod's labels, its namespace's annotations and its
/// namespace's labels. An unknown value is skipped, not taken for a default.
/// </summary>
internal static class PodSettings
{
    /// <summary>
    /// The canonical value (<paramref name="parse"/> of the first that parses) and where it was found, in words ("pod
    /// shop/web annotation weft.dev/x"); null when none of the four says anything valid.
    /// </summary>
    public static (string Value, string Source)? Find(string key, Pod? pod, Namespace? ns, Func<string?, string?> parse)
    {
        var sources = new (IReadOnlyDictionary<string, string>? Map, string Where)[]
        {
            (pod?.Metadata.Annotations, "annotation"),
            (pod?.Metadata.Labels, "label"),
            (ns?.Metadata.Annotations, "annotation"),
            (ns?.Metadata.Labels, "label"),
        };
        for (var i = 0; i < sources.Length; i++)
        {
            if (sources[i].Map is { } map && map.TryGetValue(key, out var value) && parse(value) is { } parsed)
            {
                var owner = i < 2 ? $"pod {pod!.Namespace}/{pod.Name}" : $"namespace {ns!.Name}";
                return (parsed, $"{owner} {sources[i].Where} {key}");
            }
        }

        return null;
    }

    /// <summary>The namespace object named <paramref name="name"/> in <paramref name="snapshot"/>, if it has one.</summary>
    public static Namespace? NamespaceOf(MeshSnapshot snapshot, string name)
    {
        foreach (var n in snapshot.Namespaces)
        {
            if (n.Name == name)
            {
                return n;
            }
        }

        return null;
    }
}
