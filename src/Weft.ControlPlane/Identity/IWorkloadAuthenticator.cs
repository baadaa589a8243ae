namespace Weft.ControlPlane.Identity;

/// <summary>
/// Turns the token a proxy presents into the workload it proves to be. The local mode's is
/// <see cref="WorkloadTokenIssuer"/>; the Kubernetes mode's will review projected service-account tokens.
/// </summary>
public interface IWorkloadAuthenticator
{
    /// <summary>The token's claims, or false and why not (said to the caller, so it names no secret).</summary>
    bool TryAuthenticate(string token, out WorkloadClaims claims, out string error);
}
