namespace Weft.ControlPlane.Identity;

/// <summary>
/// Turns the token a proxy presents into the workload it proves to be. The local mode's is
/// <see cref="WorkloadTokenIssuer"/>; the Kubernetes mode's reviews projected service-account tokens with the API
/// server (<see cref="Kubernetes.TokenReviewAuthenticator"/>).
/// </summary>
public interface IWorkloadAuthenticator
{
    /// <summary>The token's claims, or why not (said to the caller, so it names no secret).</summary>
    ValueTask<WorkloadAuthentication> AuthenticateAsync(string token, CancellationToken ct);

    /// <summary>
    /// True when an accepted token's pod is known to exist (the API server checks a bound token's pod): a pod the control
    /// plane's store does not hold yet is then a lag to retry through, not a refusal.
    /// </summary>
    bool ConfirmsPodExists => false;
}
