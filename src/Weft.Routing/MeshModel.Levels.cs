using System.Collections.Concurrent;
using Weft.Api.Model;
using Weft.Routing.Internal;
using Weft.Routing.Policy;

namespace Weft.Routing;

/// <summary>
/// DESIGN decision 6 on the compile side: a client at level <c>l4</c> gets mTLS and L4 routing only. From its point of
/// view HTTPRoutes and GRPCRoutes do not exist: the route groups (gamma-spec B3) are filtered to TCPRoute and TLSRoute
/// before the producer/consumer choice and D1, and the policy's protocol is <c>tcp</c> (or <c>tls</c> for TLSRoutes), so
/// the proxy tunnels the bytes without looking at them even when they are HTTP. Route status says so: an HTTPRoute's or
/// GRPCRoute's Accepted message names the l4 workloads it skips, and a TCPRoute or TLSRoute that only an L7 route type
/// outranks (D1) is Accepted, naming the l4 workloads it applies to, while there are any.
/// </summary>
public sealed partial class MeshModel
{
    private const int MaxListedL4Workloads = 5;

    /// <summary>What <see cref="_compiled"/> is for l4 clients (on this model only), kept by the same rule.</summary>
    private readonly ConcurrentDictionary<(string ClientNamespace, string Host, int Port), DestinationPolicy?> _compiledL4 = new();
    private List<Pod>? _l4Pods;

    /// <summary>This model's <see cref="L4Workloads"/> once found, and the newest a model before it found.</summary>
    private IReadOnlyList<string>? _l4Workloads;
    private readonly IReadOnlyList<string>? _l4WorkloadsBefore;

    /// <summary>
    /// The policy for traffic from a workload at <paramref name="clientLevel"/> (<see cref="MeshLevels"/>; null or empty
    /// is l7) in <paramref name="clientNamespace"/> to (host, port); null for an unknown destination. At l7 this is
    /// <see cref="Compile(string, string, int)"/>; at l4 HTTPRoute and GRPCRoute rules are left out.
    /// </summary>
    public DestinationPolicy? Compile(string clientNamespace, string host, int port, string? clientLevel)
    {
        ArgumentNullException.ThrowIfNull(clientNamespace);
        ArgumentNullException.ThrowIfNull(host);
        if (MeshLevels.Normalize(clientLevel) != MeshLevels.L4)
        {
            return Compile(clientNamespace, host, port);
        }

        if (KeyOf(clientNamespace, host, port) is not { } key)
        {
            return null;
        }

        if (_compiledL4.TryGetValue(key, out var kept))
        {
            return kept;
        }

        var frontend = ResolveFrontend(clientNamespace, key.Host, port);
        return frontend is null ? null : Keep(_compiledL4, key, CompileL4(clientNamespace, frontend), BoundOf(frontend));
    }

    private DestinationPolicy CompileL4(string clientNamespace, ServiceFrontend frontend)
    {
        if (frontend.AddressedBy == FrontendAddress.PodIP || frontend.Service is null || frontend.ServicePort is null)
        {
            // A7: the backend facet has no routes at any level; only the protocol changes.
            return Compile(clientNamespace, frontend).Policy with { Protocol = PolicyProtocol.Tcp };
        }

        var svc = frontend.Service;
        var sp = frontend.ServicePort;
        var selection = Select(clientNamespace, svc, sp, l4Only: true);
        var policy = new DestinationPolicy
        {
            ClientNamespace = clientNamespace,
            ServiceNamespace = svc.Namespace,
            ServiceName = svc.Name,
            Port = sp.Port,
            Protocol = PolicyProtocol.Tcp,
            View = selection.View,
        };
        if (selection.Applied.Count == 0)
        {
            // C1 at L4: the Service's own endpoints, bytes tunnelled whatever the port's appProtocol says.
            var (_, app) = ServiceAppProtocol.WithoutRoutes(sp.AppProtocol);
            return policy with { DefaultBackend = ServiceBackend(svc, sp, app) };
        }

        // D1 among the L4 types, then K2/K3 as in the l7 compile.
        return policy with { Protocol = selection.Applied[0].Type == RouteType.Tls ? PolicyProtocol.Tls : PolicyProtocol.Tcp, L4Rules = L4Rules(selection.Applied) };
    }

    /// <summary>
    /// The pods at level l4 that the previous model found (the statuses' note reads them), for a model made from it: the
    /// same while the pods are, and otherwise those left after the pods that went, with the l4 ones of the pods that came,
    /// instead of every pod's level read again for each model (at 50,000 pods, a pass over the heap for each endpoint that
    /// moved in Kubernetes mode, whose status writer reads every model's statuses). Null, to be found when first asked
    /// for, when the previous model had not found them or the pods changed otherwise.
    /// </summary>
    private static List<Pod>? L4PodsAfter(MeshModel previous, MeshSnapshot snapshot, bool samePods, PodChanges? pods)
    {
        if (Volatile.Read(ref previous._l4Pods) is not { } before)
        {
            return null;
        }

        if (pods is not null)
        {
            var gone = new HashSet<Pod>(pods.Gone, ReferenceEqualityComparer.Instance);
            return L4ByKey(before.Where(p => !gone.Contains(p)), pods.Added);
        }

        return samePods || SameInstances(previous._snapshot.Pods, snapshot.Pods) ? before : null;
    }

    /// <summary><paramref name="kept"/> (at l4 already) and the pods of <paramref name="candidates"/> at l4, by key.</summary>
    private static List<Pod> L4ByKey(IEnumerable<Pod> kept, IEnumerable<Pod> candidates)
    {
        List<Pod> pods = [.. kept, .. candidates.Where(p => MeshLevels.Of(p) == MeshLevels.L4)];
        pods.Sort(MeshIndex.ByKey);
        return pods;
    }

    /// <summary>The level rule the statuses' notes cite, said in full: users have no DESIGN.md.</summary>
    private const string L4Rule = $"{MeshLevels.Key}: l4: mTLS and L4 routes only, no HTTPRoute or GRPCRoute";

    /// <summary>
    /// For the Accepted message of an HTTPRoute or GRPCRoute: which l4 workloads (<see cref="L4WorkloadsFor"/>) its rules
    /// do not apply to; empty when there are none.
    /// </summary>
    private string L4WorkloadsNote(AnalyzedRoute route, Service parent)
    {
        if (route.Type is not (RouteType.Http or RouteType.Grpc))
        {
            return "";
        }

        var workloads = L4WorkloadsFor(route, parent);
        return workloads.Count == 0 ? "" : $" Not applied to traffic from l4 workloads ({L4Rule}): {ListL4Workloads(workloads)}.";
    }

    /// <summary>
    /// For a TCPRoute or TLSRoute that applies to l4 workloads only (an l4 client's selection applies it, an l7 client's
    /// does not) while none can send it
    /// traffic: it is not applied (Conflicted), and this says what would change that.
    /// </summary>
    private static string NoL4WorkloadsNote(AnalyzedRoute route, Service parent) =>
        $" Where an HTTPRoute or GRPCRoute wins it would apply to traffic from l4 workloads ({L4Rule}), but "
        + (route.Route.Namespace == parent.Namespace ? "there are none." : $"namespace {route.Route.Namespace} has none.");

    /// <summary>
    /// The l4 workloads (those of the pods whose <c>weft.dev/mesh</c> is l4) a route's rules would reach, as
    /// "namespace/workload" (<see cref="WorkloadName"/>: a Deployment, not its pods), sorted: a producer route would apply
    /// to clients anywhere, a consumer route only to clients in its namespace. Workloads, not pods: a status written to
    /// the API server changes when a workload starts or stops being l4, not each time one of its pods is replaced (a
    /// rollout or a restart would otherwise rewrite every HTTPRoute's status in the cluster).
    /// </summary>
    private List<string> L4WorkloadsFor(AnalyzedRoute route, Service parent)
    {
        var all = L4Workloads();
        if (route.Route.Namespace == parent.Namespace)
        {
            return [.. all];
        }

        // A workload's key starts with its namespace and a slash, which no namespace's name holds.
        var prefix = route.Route.Namespace + "/";
        return [.. all.Where(key => key.StartsWith(prefix, StringComparison.Ordinal))];
    }

    /// <summary>
    /// The workloads of every l4 pod (<see cref="WorkloadName.Keys"/>: "namespace/workload", sorted), the one thing of the
    /// pods a route's status reads; the instance a model before this one found while they are the same workloads, so that
    /// the statuses made on that model still hold (<see cref="StatusFor"/>): pods replaced, or pods of other levels coming
    /// and going, make no status again.
    /// </summary>
    private IReadOnlyList<string> L4Workloads()
    {
        if (Volatile.Read(ref _l4Workloads) is { } found)
        {
            return found;
        }

        // Read by a model made from this one (L4PodsAfter), perhaps while this one's statuses are still being made.
        var l4Pods = Volatile.Read(ref _l4Pods);
        if (l4Pods is null)
        {
            l4Pods = L4ByKey([], _snapshot.Pods);
            Volatile.Write(ref _l4Pods, l4Pods);
        }

        IReadOnlyList<string> workloads = WorkloadName.Keys(l4Pods);
        if (_l4WorkloadsBefore is { } before && before.SequenceEqual(workloads, StringComparer.Ordinal))
        {
            workloads = before;
        }

        // Two threads asking at once (the status writer, a status read) keep the first one's: statuses made on the other
        // would be made again once.
        return Interlocked.CompareExchange(ref _l4Workloads, workloads, null) ?? workloads;
    }

    /// <summary>The first few of <paramref name="workloads"/>, then how many more.</summary>
    private static string ListL4Workloads(List<string> workloads)
    {
        var listed = string.Join(", ", workloads.Take(MaxListedL4Workloads));
        return workloads.Count > MaxListedL4Workloads ? $"{listed} and {workloads.Count - MaxListedL4Workloads} more" : listed;
    }
}
