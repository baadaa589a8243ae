using Weft.Api.Model;
using Weft.Proxy.Security;
using Weft.Routing;
using Weft.Routing.Tracing;

namespace Weft.Cli.Local;

/// <summary>
/// A pod's mesh settings from labels or annotations (an annotation beats a label; the pod template beats its
/// namespace; then the mesh-wide default): <c>weft.dev/mesh: off|l4|l7</c> (DESIGN decision 6; default l7) and
/// <c>weft.dev/mtls: strict|permissive</c> (default strict, or <c>weft up --mtls-default</c>); and the pod template's
/// tracing annotations over the mesh's tracing (<see cref="TracingSettings.TryApplyAnnotations"/>; one that does not parse
/// leaves the mesh's, as an unknown mtls value does).
/// </summary>
internal sealed record PodMeshSettings(string Level, MtlsMode Mtls)
{
    public bool HasSidecar => Level != MeshLevels.Off;

    /// <summary>The sidecar's tracing.</summary>
    public TracingSettings Tracing { get; init; } = TracingSettings.Off;

    /// <summary>
    /// Where <see cref="Level"/> was set, in words: the pod template's annotation or label, its namespace's, or
    /// <see cref="MeshLevels.DefaultSource"/>. The pod records only the level (<see cref="MeshLevels.Key"/>, as the injector
    /// writes it), not this.
    /// </summary>
    public string LevelSource { get; init; } = MeshLevels.DefaultSource;

    /// <param name="template">The pod template.</param>
    /// <param name="ns">Its namespace, if the manifests have it.</param>
    /// <param name="mtlsDefault">The mTLS mode when neither sets <see cref="MeshLevels.MtlsKey"/>.</param>
    /// <param name="meshTracing">The mesh's tracing.</param>
    /// <param name="owner">What owns the template, for <see cref="LevelSource"/> ("Deployment shop/web").</param>
    public static PodMeshSettings For(PodTemplate template, Namespace? ns, MtlsMode mtlsDefault, TracingSettings? meshTracing = null, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        IReadOnlyDictionary<string, string>?[] sources = [template.Annotations, template.Labels, ns?.Metadata.Annotations, ns?.Metadata.Labels];
        var requested = MeshLevels.RequestedFrom(sources);
        var mesh = meshTracing ?? TracingSettings.Off;
        return new PodMeshSettings(requested?.Level ?? MeshLevels.L7, MtlsModes.TryParse(MeshLevels.RequestedMtls(sources), out var mtls) ? mtls : mtlsDefault)
        {
            Tracing = TracingSettings.TryApplyAnnotations(mesh, template.Annotations, out var tracing, out _) ? tracing : mesh,
            LevelSource = requested is { Source: var at } ? $"{Where(at, ns, owner)} {MeshLevels.Key}" : MeshLevels.DefaultSource,
        };
    }

    /// <summary>The source at <paramref name="index"/> of <see cref="For"/>'s four, in words.</summary>
    private static string Where(int index, Namespace? ns, string? owner) => index switch
    {
        0 => $"{(owner is null ? "" : owner + " ")}pod template annotation",
        1 => $"{(owner is null ? "" : owner + " ")}pod template label",
        2 => $"namespace {ns?.Name} annotation",
        _ => $"namespace {ns?.Name} label",
    };
}
