using Weft.Api.Model;
using Weft.Proxy.Security;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// A pod's mesh settings from labels or annotations (an annotation beats a label; the pod template beats its
/// namespace; then the mesh-wide default): <c>weft.dev/mesh: off|l4|l7</c> (DESIGN decision 6; default l7) and
/// <c>weft.dev/mtls: strict|permissive</c> (default strict, or <c>weft up --mtls-default</c>).
/// </summary>
internal sealed record PodMeshSettings(string Level, MtlsMode Mtls)
{
    public const string LevelKey = MeshLevels.Key;
    public const string MtlsKey = "weft.dev/mtls";

    public bool HasSidecar => Level != MeshLevels.Off;

    public static PodMeshSettings For(PodTemplate template, Namespace? ns, MtlsMode mtlsDefault)
    {
        ArgumentNullException.ThrowIfNull(template);
        var level = Lookup(LevelKey, template, ns, v => v is MeshLevels.Off or MeshLevels.L4 or MeshLevels.L7) ?? MeshLevels.L7;
        var mtls = Lookup(MtlsKey, template, ns, v => v is "strict" or "permissive") switch
        {
            "strict" => MtlsMode.Strict,
            "permissive" => MtlsMode.Permissive,
            _ => mtlsDefault,
        };
        return new PodMeshSettings(level, mtls);
    }

    private static string? Lookup(string key, PodTemplate template, Namespace? ns, Func<string, bool> valid)
    {
        foreach (var map in new[] { template.Annotations, template.Labels, ns?.Metadata.Annotations, ns?.Metadata.Labels })
        {
            if (map is not null && map.TryGetValue(key, out var value) && valid(value.Trim().ToLowerInvariant()))
            {
                return value.Trim().ToLowerInvariant();
            }
        }

        return null;
    }
}
