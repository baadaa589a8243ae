using Weft.Api;
using Weft.ControlPlane.Sources;

namespace Weft.ControlPlane.Serving;

/// <summary>What status reports besides the model: the manifests' load problems; and the settings discovery compiles with.</summary>
internal sealed class ControlPlaneStatus(DirectorySource? directory)
{
    /// <summary>The mesh's default inbound policy (<see cref="ControlPlaneOptions.DefaultInboundPolicy"/>, canonical).</summary>
    public string DefaultInboundPolicy { get; init; } = Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated;

    public IReadOnlyList<ManifestProblem> Problems() => directory?.Problems ?? [];
}
