namespace Weft.ControlPlane.Identity;

/// <summary>
/// Who a workload token says its bearer is: a pod (its name and, when the token is bound to one incarnation of it, its
/// uid) and the service account it runs as.
/// </summary>
public sealed record WorkloadClaims(string Namespace, string PodName, string ServiceAccount, DateTimeOffset Expires, string? PodUid = null)
{
    /// <summary>"namespace/name", as discovery requests name a pod.</summary>
    public string Pod => $"{Namespace}/{PodName}";
}
