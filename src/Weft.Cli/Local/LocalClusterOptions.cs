namespace Weft.Cli.Local;

/// <summary>What the local cluster needs to run pods.</summary>
internal sealed record LocalClusterOptions
{
    /// <summary>The discovery server the sidecars subscribe to.</summary>
    public required Uri ControlPlane { get; init; }

    /// <summary>Where each process's output goes (<c>&lt;namespace&gt;_&lt;pod&gt;_&lt;container&gt;.log</c>).</summary>
    public required string LogDirectory { get; init; }

    public required ImageMap Images { get; init; }

    public WeftLauncher Weft { get; init; } = WeftLauncher.Current();

    /// <summary>Progress lines ("starting pod …", "… ready"); null for none.</summary>
    public TextWriter? Progress { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
