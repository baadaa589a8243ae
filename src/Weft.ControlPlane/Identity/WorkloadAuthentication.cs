namespace Weft.ControlPlane.Identity;

/// <summary>An authenticator's answer: the claims, or the reason the token was refused.</summary>
public readonly record struct WorkloadAuthentication(WorkloadClaims? Claims, string Error)
{
    public static WorkloadAuthentication Accepted(WorkloadClaims claims) => new(claims, "");

    public static WorkloadAuthentication Refused(string error) => new(null, error);
}
