using Weft.Api.Model;

namespace Weft.Cli.Local;

/// <summary>
/// Where the local cluster records its pods and the EndpointSlices derived from them, as a kubelet and the EndpointSlice
/// controller record theirs in the API server: the local mode's <see cref="StoreClusterRecord"/> (the control plane's
/// store, as source <see cref="LocalCluster.SourceName"/>), or <see cref="Api.ApiClusterRecord"/> (an API server, for
/// <c>weft up --kubeconfig</c>).
/// </summary>
internal abstract class ClusterRecord : IAsyncDisposable
{
    /// <summary>More <c>weft proxy</c> arguments for the pod's sidecar (its credentials).</summary>
    public virtual IReadOnlyList<string> SidecarArguments(LocalPod pod) => [];

    /// <summary>
    /// The files of the sidecar's projected identity volume that this record provides (file name → host path: a token
    /// bound to the pod, the trust bundle); empty when the local kubelet provides them itself.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> ProjectedFiles(LocalPod pod) => new Dictionary<string, string>();

    /// <summary>Records the pod before any of its containers starts (the sidecar's credentials may name it); retried on failure.</summary>
    public virtual Task RegisterAsync(LocalPod pod, CancellationToken ct) => Task.CompletedTask;

    /// <summary>The pods (with their readiness) and EndpointSlices as they are now; replaces what was published before.</summary>
    public abstract void Publish(IReadOnlyList<PodStatus> pods, IReadOnlyList<EndpointSlice> slices);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
