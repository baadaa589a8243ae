using System.Collections.Concurrent;
using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>
/// Issue 17's outbound policy on the compile side: for a destination <see cref="Compile(string, string, int, string?)"/>
/// knows nothing of, what the client's sidecar does with its traffic (<see cref="OutboundPolicies"/>).
/// </summary>
public sealed partial class MeshModel
{
    private readonly ConcurrentDictionary<(string Namespace, string Pod), OutsidePolicy> _outside = new();

    /// <summary>
    /// The outbound policy of client pod <paramref name="clientPod"/> ("namespace/name") in
    /// <paramref name="clientNamespace"/>: its pod's, else its namespace's, else <see cref="DefaultOutboundPolicy"/>. A pod
    /// the model does not know (not yet, or a sidecar outside any pod) gets its namespace's or the mesh's.
    /// </summary>
    /// <remarks>The same instance is returned for the same arguments on this model.</remarks>
    public OutsidePolicy Outside(string clientNamespace, string clientPod)
    {
        ArgumentNullException.ThrowIfNull(clientNamespace);
        ArgumentNullException.ThrowIfNull(clientPod);
        var slash = clientPod.IndexOf('/', StringComparison.Ordinal);
        var podName = slash >= 0 && clientPod.AsSpan(0, slash).SequenceEqual(clientNamespace) ? clientPod[(slash + 1)..] : "";
        return _outside.GetOrAdd((clientNamespace, podName), static (key, model) => OutboundPolicies.Resolve(
            key.Pod.Length > 0 ? model._index.Pod(key.Namespace, key.Pod) : null,
            PodSettings.NamespaceOf(model._snapshot, key.Namespace),
            model.DefaultOutboundPolicy), this);
    }
}
