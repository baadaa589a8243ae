namespace Weft.ControlPlane.Identity;

/// <summary>Who a workload token says its bearer is: a pod and the service account it runs as.</summary>
public sealed record WorkloadClaims(string Namespace, string PodName, string ServiceAccount, DateTimeOffset Expires);
