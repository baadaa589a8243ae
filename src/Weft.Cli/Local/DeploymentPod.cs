using System.Net;
using Weft.Api.Model;
using Weft.Routing;

namespace Weft.Cli.Local;

/// <summary>
/// One pod of a Deployment as the API server shows it once the ReplicaSet has made it from the template and the injector
/// has seen it: the template's labels plus <c>pod-template-hash</c>, the template's annotations plus the resolved
/// <c>weft.dev/mesh</c> level (<see cref="PodMeshSettings"/>, which discovery reads to know which pods are l4 or have no
/// sidecar), the template's spec and the pod IP. The one pod builder of the live mesh (<see cref="LocalPod"/>) and the
/// offline conformance runner, so a client behaves the same in both.
/// </summary>
internal static class DeploymentPod
{
    public static Pod Build(Deployment deployment, string templateHash, string name, IPAddress ip, PodMeshSettings settings, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(ip);
        ArgumentNullException.ThrowIfNull(settings);
        var template = deployment.Template;
        return new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = deployment.Namespace,
                Labels = new Dictionary<string, string>(template.Labels, StringComparer.Ordinal) { [WorkloadName.TemplateHashLabel] = templateHash },
                // The resolved level, as the injector would record it, so discovery knows which pods have no sidecar.
                Annotations = new Dictionary<string, string>(template.Annotations, StringComparer.Ordinal) { [MeshLevels.Key] = settings.Level },
                CreationTimestamp = created,
                Uid = Guid.NewGuid().ToString(),
            },
            Spec = template.Spec,
            PodIP = ip.ToString(),
        };
    }
}
