using Weft.Routing.Authorization;

namespace Weft.Discovery;

/// <summary>
/// The inbound policy a sidecar currently enforces for its own pod (issue 14): immutable, swapped atomically as a whole
/// when the control plane sends a version the sidecar could build, so a request is decided by one policy, never half of two.
/// </summary>
/// <param name="Table">The compiled authorization table; null when the control plane answered NOT_FOUND (the pod is not in its model yet).</param>
/// <param name="Version">The version the control plane sent it as.</param>
public sealed record InboundEntry(AuthorizationTable? Table, ulong Version)
{
    public bool Found => Table is not null;
}
