using Weft.Cli.Local.Netns;

namespace Weft.Cli.Local;

/// <summary>
/// How a command of this machine acts inside a pod of a running local mesh (<c>weft exec</c>, <c>weft curl</c>): in
/// network-namespace isolation it enters the pod's namespace, which needs root; in process isolation there is nothing to
/// enter (the pod's proxy settings do the work).
/// </summary>
internal static class PodEntry
{
    /// <summary>Whether <paramref name="pod"/> is a network namespace to enter.</summary>
    public static bool IsNamespace(MeshState mesh, PodState pod)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(pod);
        return mesh.Isolation == IsolationNames.Netns;
    }

    /// <summary>Why this process cannot act inside <paramref name="pod"/>, or null when it can.</summary>
    public static string? Problem(MeshState mesh, PodState pod) =>
        !IsNamespace(mesh, pod) ? null
        : pod.Netns is null ? $"pod {pod.Namespace}/{pod.Name} has no network namespace in the state file"
        : IsolationChoice.MissingPrivilege() is { } why ? $"the mesh runs pods in network namespaces, and entering one needs root ({why})"
        : null;

    /// <summary>The pod's network namespace, open for sockets; null in process isolation, or with <paramref name="error"/>.</summary>
    public static NetworkNamespace? OpenNetwork(MeshState mesh, PodState pod, out string? error)
    {
        error = Problem(mesh, pod);
        if (error is not null || !IsNamespace(mesh, pod))
        {
            return null;
        }

        try
        {
            return NetworkNamespace.Open(pod.Netns!);
        }
        catch (NetworkSetupException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>The command that runs <paramref name="command"/> inside <paramref name="pod"/>, as an app of it.</summary>
    public static ContainerCommand Command(MeshState mesh, PodState pod, ContainerCommand command) =>
        IsNamespace(mesh, pod) && pod.Netns is { } netns ? PodProcess.InPod(netns, command, PodProcess.Role.App) : command;
}
