using Weft.Api;
using Weft.ControlPlane.Sources;

namespace Weft.ControlPlane.Serving;

/// <summary>What status reports besides the model: the manifests' load problems.</summary>
internal sealed class ControlPlaneStatus(DirectorySource? directory)
{
    public IReadOnlyList<ManifestProblem> Problems() => directory?.Problems ?? [];
}
