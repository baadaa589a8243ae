using System.Net;
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

    /// <summary>
    /// Where each pod's level (<see cref="MeshLevels.Key"/>) was set, by pod key ("namespace/name"): its Deployment's pod
    /// template, its namespace or the mesh default (<see cref="PodMeshSettings.LevelSource"/>). The pod itself records only
    /// the resolved level, as the injector does, so its annotation says nothing of where the level came from.
    /// </summary>
    public IReadOnlyDictionary<string, string> LevelSources { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <param name="loaded">The loaded manifests.</param>
    /// <param name="random">Draws the pods' names.</param>
    /// <param name="defaultInboundPolicy">The mesh's default inbound policy (<see cref="MeshModel.DefaultInboundPolicy"/>).</param>
    /// <param name="defaultOutboundPolicy">The mesh's default outbound policy (<see cref="MeshModel.DefaultOutboundPolicy"/>).</param>
    /// <param name="defaultMtls">The mesh's default mTLS mode (<c>weft up --mtls-default</c>, <see cref="MeshModel.DefaultMtls"/>).</param>
    /// <param name="running">
    /// The state of a <c>weft up</c> running these manifests, if any: its Services' ClusterIPs and its pods (names, IPs,
    /// readiness) instead of an address plan and names of this admission's own (a Deployment it has no pod of keeps those).
    /// </param>
    public static AdmittedCluster Admit(
        IEnumerable<KubeObject> loaded, Random random, string defaultInboundPolicy = Weft.Routing.Authorization.DefaultInboundPolicies.AllUnauthenticated,
        string defaultOutboundPolicy = OutboundPolicies.AllowAny, MeshState? running = null, string defaultMtls = MeshLevels.MtlsStrict)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(random);
        _ = MtlsModes.TryParse(MeshLevels.ParseMtls(defaultMtls), out var mtlsDefault);
        var addresses = new AddressPlan(AddressPlan.MinBlock);
        var objects = loaded.Select(addresses.Admit).Select(o => Running(o, running)).ToList();
        var namespaces = objects.OfType<Namespace>().ToDictionary(n => n.Name, StringComparer.Ordinal);
        var created = TimeProvider.System.GetUtcNow();
        var pods = new List<(string Deployment, Pod Pod, bool Ready, string LevelSource)>();
        foreach (var deployment in objects.OfType<Deployment>())
        {
            // As LocalCluster.Reconcile: the level and mTLS mode from the template and its namespace, then the same pod.
            var hash = PodNames.TemplateHash(deployment);
            var settings = PodMeshSettings.For(deployment.Template, namespaces.GetValueOrDefault(deployment.Namespace), mtlsDefault, owner: $"Deployment {deployment.Namespace}/{deployment.Name}");
            var live = running?.Pods.Where(p => p.Namespace == deployment.Namespace && p.Deployment == deployment.Name).ToList() ?? [];
            if (live.Count > 0)
            {
                pods.AddRange(live.Select(p => (deployment.Name, DeploymentPod.Build(deployment, hash, p.Name, IPAddress.Parse(p.IP), settings, created), p.Ready, settings.LevelSource)));
                continue;
            }

            for (var i = 0; i < deployment.Replicas; i++)
            {
                var pod = DeploymentPod.Build(deployment, hash, PodNames.NewPodName(deployment.Name, hash, random), addresses.AllocatePodAddress(), settings, created);
                pods.Add((deployment.Name, pod, true, settings.LevelSource));
            }
        }

        var services = objects.OfType<Service>().ToList();
        var slices = EndpointSliceController.Derive(services, [.. pods.Select(p => new PodStatus(p.Pod, p.Ready))]);
        var model = MeshModel.Build(MeshSnapshot.From([.. objects, .. pods.Select(p => p.Pod), .. slices]), defaultInboundPolicy: defaultInboundPolicy, defaultOutboundPolicy: defaultOutboundPolicy, defaultMtls: defaultMtls);
        return new AdmittedCluster(model, services, [.. pods.Select(p => (p.Deployment, p.Pod))])
        {
            LevelSources = pods.ToDictionary(p => p.Pod.Key, p => p.LevelSource, StringComparer.Ordinal),
        };
    }

    /// <summary>A Service with the ClusterIP the running mesh gave it; anything else as it is.</summary>
    private static KubeObject Running(KubeObject o, MeshState? running) =>
        o is Service svc && running?.Services.FirstOrDefault(s => s.Namespace == svc.Namespace && s.Name == svc.Name) is { ClusterIP: { Length: > 0 } ip }
            ? svc with { Spec = svc.Spec with { ClusterIP = ip, ClusterIPs = [ip] } }
            : o;
}
