using System.Collections.Concurrent;
using Weft.Api.Model;
using Weft.Routing.Internal;
using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>
/// Issue 17's outbound policy on the compile side: the external hosts a namespace's XBackends declare are part of the
/// mesh's registry for that namespace's clients (<see cref="CompileDeclared"/>); for any other destination
/// <see cref="Compile(string, string, int, string?)"/> knows nothing of, <see cref="Outside"/> says what the client's
/// sidecar does with its traffic (<see cref="OutboundPolicies"/>).
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

    /// <summary>
    /// A direct call to an external host (the app naming <c>api.example.test:443</c> itself, not a Service): when an
    /// XBackend of the client's namespace declares that host and port, the policy sends it to the XBackend as a route
    /// would (the sidecar's own resolution, never the address the app chose; TLS originated when the XBackend says so;
    /// its XBackendTrafficPolicy), and the host is in the registry under registry-only. Only the client's own namespace's
    /// XBackends count: another namespace's TLS settings and CA are a cross-namespace reference, which gamma-spec F6
    /// keeps grants for. Null when none declares it.
    /// </summary>
    private DestinationPolicy? CompileDeclared(string clientNamespace, string host, int port)
    {
        if (HostName.IsAddress(host) || _index.DeclaredXBackend(clientNamespace, host, port) is not { } backend)
        {
            return null;
        }

        var own = ExternalBackends.Own(_index, backend);
        var (protocol, app) = backend.Spec.Protocol switch
        {
            XBackendProtocol.Tcp => (PolicyProtocol.Tcp, BackendAppProtocol.Tcp),
            XBackendProtocol.Http2 or XBackendProtocol.H2c => (PolicyProtocol.Http, BackendAppProtocol.Http2),
            XBackendProtocol.Http or XBackendProtocol.Http11 => (PolicyProtocol.Http, BackendAppProtocol.Http),
            _ => (PolicyProtocol.Opaque, BackendAppProtocol.Http), // unset: what the app sends decides (HTTP, or bytes relayed)
        };
        var traffic = _index.Traffic(XBackend.KindName, backend.Namespace, backend.Name);
        return new DestinationPolicy
        {
            ClientNamespace = clientNamespace,
            ServiceNamespace = backend.Namespace,
            ServiceName = backend.Name,
            Port = port,
            Protocol = protocol,
            View = PolicyView.None,
            DefaultBackend = new BackendPolicy
            {
                Namespace = backend.Namespace,
                Name = backend.Name,
                Port = port,
                Invalid = own.Reason,
                AppProtocol = app,
                External = own.External,
                RetryBudget = traffic.RetryBudget,
                SessionPersistence = traffic.Session,
            },
        };
    }
}
