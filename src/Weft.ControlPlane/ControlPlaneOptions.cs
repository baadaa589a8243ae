using Microsoft.Extensions.Logging;
using Weft.Api.Model;

namespace Weft.ControlPlane;

/// <summary>How to start a <see cref="ControlPlaneHost"/>.</summary>
public sealed record ControlPlaneOptions
{
    /// <summary>A directory of manifests to load and watch; null for a store fed only by other sources.</summary>
    public string? ManifestDirectory { get; init; }

    /// <summary>The IP address the discovery server listens on.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 lets the OS pick one (see <see cref="ControlPlaneHost.Address"/>).</summary>
    public int Port { get; init; }

    /// <summary>Applied to every object entering the store, as an API server's admission (the local cluster allocates ClusterIPs).</summary>
    public Func<KubeObject, KubeObject>? Admission { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider? Time { get; init; }
}
