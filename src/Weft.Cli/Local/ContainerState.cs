namespace Weft.Cli.Local;

/// <summary>A container of a <see cref="LocalPod"/> as a kubelet reports it (<see cref="LocalPod.ContainerStates"/>).</summary>
internal readonly record struct ContainerState(string Name, bool Running, int Restarts, DateTimeOffset? StartedAt, int? LastExitCode);
