using Weft.Api.Model;
using Weft.ControlPlane.Objects;

namespace Weft.Cli.Local;

/// <summary>The local mode's record: the pods and EndpointSlices go straight into the control plane's store.</summary>
internal sealed class StoreClusterRecord(ObjectStore store) : ClusterRecord
{
    public override void Publish(IReadOnlyList<PodStatus> pods, IReadOnlyList<EndpointSlice> slices) =>
        store.Replace(LocalCluster.SourceName, [.. pods.Select(p => (KubeObject)p.Pod), .. slices]);
}
