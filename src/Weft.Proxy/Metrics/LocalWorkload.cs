namespace Weft.Proxy.Metrics;

/// <summary>
/// The workload this sidecar serves, one end of every series it records: the source of its outbound calls and the
/// destination of its inbound ones. A workload is the pod's Deployment (or other controller), else the pod itself
/// (<c>--workload</c>, filled by <c>weft up</c> and the injector). The SPIFFE ID is read when written: it is known once the
/// first certificate has arrived.
/// </summary>
internal sealed class LocalWorkload(string @namespace, string workload, Func<string?>? identity = null)
{
    /// <summary>No workload known (proxies made by unit tests).</summary>
    public static readonly LocalWorkload Unknown = new("", "");

    public string Namespace => @namespace;

    public string Workload => workload;

    public string Identity => identity?.Invoke() ?? "";

    /// <summary>
    /// The <see cref="Weft.Routing.MeshWire.SourceWorkloadHeader"/> value this sidecar sends: <c>namespace/workload</c>;
    /// null when unknown or when either is not an object name (<see cref="Weft.Routing.WorkloadName.IsObjectName"/>), so
    /// nothing but a name's characters reaches the header bytes the fast path writes.
    /// </summary>
    public string? HeaderValue { get; } = Weft.Routing.WorkloadName.IsObjectName(@namespace) && Weft.Routing.WorkloadName.IsObjectName(workload)
        ? $"{@namespace}/{workload}"
        : null;
}
