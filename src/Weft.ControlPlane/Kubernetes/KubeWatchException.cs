namespace Weft.ControlPlane.Kubernetes;

/// <summary>A watch stream that reported an error (other than an expired version).</summary>
public sealed class KubeWatchException(string message, Exception inner) : Exception(message, inner);
