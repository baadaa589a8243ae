using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Local.Api;

/// <summary>
/// The newest resourceVersion a writer's writes returned, per resource (<c>plural.group</c>, as
/// <see cref="Weft.ControlPlane.Kubernetes.KubeResource.QualifiedName"/> names it): what an informer of that resource
/// must have seen before a reader of it has seen those writes.
/// </summary>
internal sealed class WrittenVersions
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ulong> _versions = new(StringComparer.Ordinal);

    public void Note(KubeResource kind, string? resourceVersion)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (!ulong.TryParse(resourceVersion, out var version))
        {
            return;
        }

        lock (_gate)
        {
            var key = kind.ToString();
            _versions[key] = Math.Max(version, _versions.GetValueOrDefault(key));
        }
    }

    /// <summary>Notes a deletion: its own version, or, when the answer gave none, the server's version after it.</summary>
    public async Task NoteDeletionAsync(k8s.IKubernetes client, KubeResource kind, string? resourceVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(kind);
        Note(kind, resourceVersion is "" ? await KubeResource.CurrentResourceVersionAsync(client, ct) : resourceVersion);
    }

    public Dictionary<string, string> Snapshot()
    {
        lock (_gate)
        {
            return _versions.ToDictionary(v => v.Key, v => v.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
        }
    }

    /// <summary>The newest of both, per resource.</summary>
    public static Dictionary<string, string> Merge(WrittenVersions a, WrittenVersions b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var merged = a.Snapshot();
        foreach (var (key, value) in b.Snapshot())
        {
            if (!merged.TryGetValue(key, out var other) || ulong.Parse(value, System.Globalization.CultureInfo.InvariantCulture) > ulong.Parse(other, System.Globalization.CultureInfo.InvariantCulture))
            {
                merged[key] = value;
            }
        }

        return merged;
    }
}
