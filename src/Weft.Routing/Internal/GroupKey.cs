namespace Weft.Routing.Internal;

/// <summary>
/// A route group (gamma-spec B3) on one Service port: the routes of one namespace bound there. The Service's own namespace
/// holds its producer routes; any other namespace its consumer routes for that namespace's clients.
/// </summary>
internal readonly record struct GroupKey(string ServiceKey, int Port, string RouteNamespace);
