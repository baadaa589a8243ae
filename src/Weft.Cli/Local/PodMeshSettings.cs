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

    public static PodMeshSettings For(PodTemplate template, Namespace? ns, MtlsMode mtlsDefault, TracingSettings? meshTracing = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        IReadOnlyDictionary<string, string>?[] sources = [template.Annotations, template.Labels, ns?.Metadata.Annotations, ns?.Metadata.Labels];
        var level = MeshLevels.Requested(sources) ?? MeshLevels.L7;
        var mesh = meshTracing ?? TracingSettings.Off;
        return new PodMeshSettings(level, MtlsModes.TryParse(MeshLevels.RequestedMtls(sources), out var mtls) ? mtls : mtlsDefault)
        {
            Tracing = TracingSettings.TryApplyAnnotations(mesh, template.Annotations, out var tracing, out _) ? tracing : mesh,
        };
    }
}
