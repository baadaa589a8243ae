using Weft.Api.Model;

namespace Weft.Routing.Backends;

/// <summary>
/// One <c>status.ancestors[]</c> entry of a backend policy: the ancestor (here the targetRef's Service or XBackend, in the
/// policy's namespace, with its sectionName), Weft's controller name, and the conditions (Accepted, and for a
/// BackendTLSPolicy ResolvedRefs) that say whether and why the policy applies there.
/// </summary>
public sealed record PolicyAncestorStatus(ParentReference AncestorRef, string ControllerName, IReadOnlyList<RouteCondition> Conditions);
