namespace Weft.Routing;

/// <summary>Condition types and reasons Weft writes on routes (gamma-spec H2).</summary>
public static class RouteConditions
{
    public const string Accepted = "Accepted";
    public const string ResolvedRefs = "ResolvedRefs";
    public const string PartiallyInvalid = "PartiallyInvalid";

    public const string True = "True";
    public const string False = "False";

    public const string NoMatchingParent = "NoMatchingParent";
    public const string UnsupportedValue = "UnsupportedValue";
    public const string IncompatibleFilters = "IncompatibleFilters";

    /// <summary>GEP-1294 route-type conflict (gamma-spec D1); no Go constant upstream.</summary>
    public const string Conflicted = "Conflicted";

    public const string InvalidKind = "InvalidKind";
    public const string BackendNotFound = "BackendNotFound";
    public const string RefNotPermitted = "RefNotPermitted";
    public const string UnsupportedProtocol = "UnsupportedProtocol";

    /// <summary>
    /// An XBackend whose <c>tls.validation</c> names no usable CA bundle (the BackendTLSPolicy reason, GEP-1897); its
    /// share of traffic gets 500, as "connections using an invalid CACertificateRef MUST fail" says.
    /// </summary>
    public const string InvalidCaCertificateRef = "InvalidCACertificateRef";
}
