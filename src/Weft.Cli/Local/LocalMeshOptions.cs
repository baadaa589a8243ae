using Microsoft.Extensions.Logging;

namespace Weft.Cli.Local;

/// <summary>How to start a <see cref="LocalMesh"/>.</summary>
internal sealed record LocalMeshOptions
{
    /// <summary>Progress lines ("starting pod …"); null for none.</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>Also write the state here once everything is ready.</summary>
    public string? ReadyFile { get; init; }

    /// <summary>Where to keep the state file and logs; default <see cref="StateFile.RunDirectory"/> of the manifests directory.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>Control plane logging; default a console logger at Warning (Information with <see cref="Verbose"/>).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    public bool Verbose { get; init; }

    public WeftLauncher? Weft { get; init; }
}
