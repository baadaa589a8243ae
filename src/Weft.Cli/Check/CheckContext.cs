using k8s;

namespace Weft.Cli.Check;

/// <summary>What every check reads: the API server, Weft's namespace, where the injector is probed, and the clock.</summary>
internal sealed record CheckContext(IKubernetes Client, string Namespace, string ProbeNamespace, TimeProvider Time)
{
    /// <summary>The <c>weft up --kubeconfig</c> whose mesh this cluster is, when one runs it (<see cref="WeftUpRun"/>).</summary>
    public WeftUpRun? WeftUp { get; init; }

    /// <summary>Where a user reads why the controller is not doing its job.</summary>
    public string LogsHint => $"look at `kubectl -n {Namespace} logs deploy/{Weft.ControlPlane.Kubernetes.WeftInstallation.ControllerName}`";
}
