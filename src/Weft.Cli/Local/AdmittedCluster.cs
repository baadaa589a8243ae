using Weft.Api.Model;
using Weft.Proxy.Security;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// Manifests admitted as the local cluster admits them, without starting anything: ClusterIPs, each Deployment's pods as
/// <see cref="DeploymentPod"/> builds them live, EndpointSlices with every pod ready, and the model over all of it. The
/// offline conformance runner, <c>weft explain</c>, <c>weft authz</c> and <c>weft validate</c> read workloads, their
/// identities and their endpoints from it.
/// </summary>
/// <param name="Model">The model of the admitted objects.</param>
/// <param name="Services">The Services, with their ClusterIPs.</param>
/// <param name="Pods">Every pod with the Deployment it belongs to.</param>
internal sealed record AdmittedCluster(MeshModel Model, IReadOnlyList<Service> Services, IReadOnlyList<(string Deployment, Pod Pod)> Pods)
{
    /// <summary>The pod a client sends from, as the live runner picks it: the first by name of the Deployment's pods.</summary>
    public Pod? PodOf(string ns, string deployment) =>
        Pods.Where(p => p.Pod.Namespace == ns && p.Deployment == deployment).Select(p => p.Pod).OrderBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault();

    /// <param name="loaded">The loaded manifests.</param>
    /// <param name="random">Draws the pods' names.</param>
    /// <param name="defaultInboundPolicy">The mesh's default inbound policy (<see cref="MeshModel.DefaultInboundPolicy"/>).</param>
    /// <param name="defaultOutboundPolicy">The mesh's default outbound policy (<see cref="MeshModel.DefaultOutboundPolicy"/>).</param>
    public static AdmittedCluster Admit(
        IEnumerable<KubeObject> loaded, Random random, string defaultInboundPolicy = Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated,
        string defaultOutboundPolicy = OutboundPolicies.AllowAny)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(random);
        var addresses = new AddressPlan(AddressPlan.MinBlock);
        var objects = loaded.Select(addresses.Admit).ToList();
        var namespaces = objects.OfType<Namespace>().ToDictionary(n => n.Name, StringComparer.Ordinal);
        var created = TimeProvider.System.GetUtcNow();
        var pods = new List<(string Deployment, Pod Pod)>();
        foreach (var deployment in objects.OfType<Deployment>())
        {
            // As LocalCluster.Reconcile: the level and mTLS mode from the template and its namespace, then the same pod.
            var hash = PodNames.TemplateHash(deployment);
            var settings = PodMeshSettings.For(deployment.Template, namespaces.GetValueOrDefault(deployment.Namespace), MtlsMode.Strict);
            for (var i = 0; i < deployment.Replicas; i++)
            {
                var pod = DeploymentPod.Build(deployment, hash, PodNames.NewPodName(deployment.Name, hash, random), addresses.AllocatePodAddress(), settings, created);
                pods.Add((deployment.Name, pod));
            }
        }

        var services = objects.OfType<Service>().ToList();
        var slices = EndpointSliceController.Derive(services, [.. pods.Select(p => new PodStatus(p.Pod, Ready: true))]);
        var model = MeshModel.Build(MeshSnapshot.From([.. objects, .. pods.Select(p => p.Pod), .. slices]), defaultInboundPolicy: defaultInboundPolicy, defaultOutboundPolicy: defaultOutboundPolicy);
        return new AdmittedCluster(model, services, pods);
    }
}
