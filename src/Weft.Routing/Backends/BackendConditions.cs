namespace Weft.Routing.Backends;

/// <summary>
/// Condition reasons Weft writes on backend policies and XBackends that <see cref="RouteConditions"/> does not already
/// hold (types are <see cref="RouteConditions.Accepted"/> and <see cref="RouteConditions.ResolvedRefs"/>; Conflicted,
/// InvalidKind, InvalidCACertificateRef and UnsupportedValue are there). The names are the v1.6.1 CRDs'.
/// </summary>
public static class BackendConditions
{
    /// <summary>The targetRef names no Service or XBackend of the policy's namespace, or a sectionName naming no port of it.</summary>
    public const string TargetNotFound = "TargetNotFound";

    /// <summary>The policy cannot apply as written: a target kind it cannot have, or an unsupported wellKnownCACertificates set.</summary>
    public const string Invalid = "Invalid";

    /// <summary>Every caCertificateRefs entry is bad (GEP-1897: "If ALL CACertificateRefs are invalid").</summary>
    public const string NoValidCaCertificate = "NoValidCACertificate";
}
