namespace Weft.Routing.Authorization;

/// <summary>Which step of the evaluation decided (DENY policies, then ALLOW policies, then the default inbound policy).</summary>
public enum AuthorizationVerdict
{
    /// <summary>A rule of an ALLOW policy matched.</summary>
    AllowedByPolicy,

    /// <summary>A rule of a DENY policy matched.</summary>
    DeniedByPolicy,

    /// <summary>ALLOW policies applied to the request and none of their rules matched.</summary>
    NotAllowedByPolicy,

    /// <summary>No ALLOW policy applied; the default inbound policy admitted the caller.</summary>
    AllowedByDefault,

    /// <summary>No ALLOW policy applied; the default inbound policy refused the caller.</summary>
    DeniedByDefault,
}

/// <summary>
/// The authorization decision for one request or connection, with its trace: the verdict, the policy and rule that
/// decided (none for a default), the default in force, and a sentence saying why.
/// </summary>
public sealed record AuthorizationDecision(AuthorizationVerdict Verdict, string? Policy, int? Rule, string DefaultPolicy, string Reason)
{
    public bool Allowed => Verdict is AuthorizationVerdict.AllowedByPolicy or AuthorizationVerdict.AllowedByDefault;
}
