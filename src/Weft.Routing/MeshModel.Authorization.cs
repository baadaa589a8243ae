using Weft.Routing.Authorization;

namespace Weft.Routing;

/// <summary>Issue 14 on the compile side: each workload's inbound policy, and each AuthorizationPolicy's status.</summary>
public sealed partial class MeshModel
{
    /// <summary>
    /// What pod <paramref name="podNamespace"/>/<paramref name="podName"/> admits: its default inbound policy (pod, then
    /// namespace, then <paramref name="meshDefault"/>) and the accepted AuthorizationPolicies that target it. Null when the
    /// pod is not in the snapshot.
    /// </summary>
    public InboundPolicy? CompileInbound(string podNamespace, string podName, string meshDefault = DefaultInboundPolicies.AllUnauthenticated)
    {
        ArgumentNullException.ThrowIfNull(podNamespace);
        ArgumentNullException.ThrowIfNull(podName);
        _ = _snapshot;
        throw new NotImplementedException("contract stub: the Routing helper implements this");
    }

    /// <summary>One entry per AuthorizationPolicy, in snapshot order: its conditions per targetRef.</summary>
    public IReadOnlyList<AuthorizationPolicyStatus> AuthorizationStatuses =>
        throw new NotImplementedException("contract stub: the Routing helper implements this");
}
