namespace Weft.Routing.Planning;

/// <summary>
/// What <see cref="RequestPlanner"/> or <see cref="ConnectionPlanner"/> decided, by the GAMMA rule that decided it. Every
/// reader (the proxy's two HTTP paths and its L4 path, the offline conformance runner, <c>weft explain</c>) acts on this
/// value instead of working the answer out again.
/// </summary>
public enum PlanOutcome
{
    /// <summary>Forward to a backend of the matched rule (or, for a connection, of the TCPRoute/TLSRoute rule), picked by weight (gamma-spec F2).</summary>
    Forward,

    /// <summary>No route applies: forward to the Service's own endpoints (gamma-spec C1).</summary>
    ForwardToService,

    /// <summary>No route applies and the destination has no backend of its own: 503 / UNAVAILABLE / rejected.</summary>
    NoService,

    /// <summary>Routes apply and none of their rules matches: 404 / UNIMPLEMENTED (gamma-spec C2, K1); for TLS, no hostname matches the SNI (K3).</summary>
    NoRuleMatched,

    /// <summary>A RequestRedirect filter answers (gamma-spec G6).</summary>
    Redirect,

    /// <summary>The matched rule has no backendRefs with weight and no redirect: 500 / UNAVAILABLE / rejected (gamma-spec F3).</summary>
    NoBackends,

    /// <summary>The picked backend is invalid: its share gets 500 / UNAVAILABLE / a rejected connection (gamma-spec F4).</summary>
    InvalidBackend,

    /// <summary>The picked backend has no ready endpoints: 503 / UNAVAILABLE / rejected (gamma-spec F4).</summary>
    NoReadyEndpoints,
}
