using Weft.Api.Model;

namespace Weft.Routing.Internal;

/// <summary>A route's Service parentRef resolved to Service ports (gamma-spec A1-A5), or why it binds nothing.</summary>
internal sealed record ParentBinding(int Index, ParentReference Ref, Service? Service, IReadOnlyList<ServicePort> Ports, Problem? Problem);
