namespace Weft.Proxy.Metrics;

/// <summary>
/// The labels of one request series: where it went (direction, destination Service and port), which route rule took it
/// (kind, namespace, name, and the rule's name when it has one, GEP-995 HTTPRouteNamedRouteRule, else its index) and which
/// backend served it (namespace/name:port). Empty strings for what does not apply (no route, an answer made by the proxy).
/// </summary>
internal readonly record struct RequestLabels(
    string Direction,
    string DstNamespace,
    string DstService,
    string DstPort,
    string RouteKind,
    string RouteNamespace,
    string RouteName,
    string Rule,
    string Backend);
