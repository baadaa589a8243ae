using Weft.Api;
using Weft.ControlPlane.Kubernetes;
using Weft.ControlPlane.Sources;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// What status reports besides the model: the manifests' load problems, and in Kubernetes mode the objects the
/// controller's loader refused (<see cref="KubeSource.Refusals"/>), which are not in the model either.
/// </summary>
internal sealed class ControlPlaneStatus(DirectorySource? directory)
{
    private KubeSource? _kube;

    public IReadOnlyList<ManifestProblem> Problems() => directory?.Problems ?? [];

    /// <summary>The refused objects of <see cref="Attach"/>'s source, by kind and key: none before it is attached.</summary>
    public IEnumerable<(string Kind, string Key, KubeRefusal Refusal)> Refused() =>
        (Volatile.Read(ref _kube)?.Refusals ?? KubeRefusals.None).ByKey
            .Select(r => (r.Key.Resource.Kind, r.Key.Key, r.Value))
            .OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal);

    /// <summary>Reports <paramref name="source"/>'s refusals from now on (the source reads into this control plane's store, so it comes after it).</summary>
    public void Attach(KubeSource source) => Volatile.Write(ref _kube, source);
}
