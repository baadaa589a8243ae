using Weft.Routing.Backends;
using Weft.Routing.Internal;

namespace Weft.Routing;

/// <summary>
/// Issue 17's status: each XBackend's, BackendTLSPolicy's and XBackendTrafficPolicy's, built when first asked for from
/// what the index and the route analysis already decided (<see cref="BackendStatuses"/>).
/// </summary>
public sealed partial class MeshModel
{
    private BackendStatuses? _backendStatuses;

    /// <summary>One entry per XBackend, in snapshot order: the Service parents of the mesh routes that refer to it.</summary>
    public IReadOnlyList<XBackendStatus> XBackendStatuses => Backends.XBackends;

    /// <summary>One entry per BackendTLSPolicy, in snapshot order: its conditions per targetRef.</summary>
    public IReadOnlyList<BackendPolicyStatus> BackendTlsPolicyStatuses => Backends.TlsPolicies;

    /// <summary>One entry per XBackendTrafficPolicy, in snapshot order: its conditions per targetRef.</summary>
    public IReadOnlyList<BackendPolicyStatus> BackendTrafficPolicyStatuses => Backends.TrafficPolicies;

    private BackendStatuses Backends => LazyInitializer.EnsureInitialized(ref _backendStatuses, () =>
        new BackendStatuses(_snapshot, _index, ControllerName, _snapshot.Routes.Select(r => _analyzedByRoute[r]).OfType<RouteAnalysis>()));
}
