using System.Globalization;
using Weft.Api.Model;

namespace Weft.Api.Loading;

/// <summary>Maps Kubernetes core objects (Namespace, Service, EndpointSlice, ServiceAccount, Deployment, Pod), applying the API server's defaults.</summary>
internal static class CoreObjectMapper
{
    public static ObjectMeta Metadata(MappingReader root, bool namespaced)
    {
        var meta = root.RequiredMap("metadata");
        var name = meta.String("name") ?? throw meta.Required("metadata.name", "set metadata.name");
        var ns = meta.String("namespace");
        DateTimeOffset? created = null;
        if (meta.String("creationTimestamp") is { } ts)
        {
            created = DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? t
                : throw meta.Required("metadata.creationTimestamp", "write an RFC 3339 time such as 2024-01-02T03:04:05Z");
        }

        DateTimeOffset? deleting = meta.String("deletionTimestamp") is { } dt && DateTimeOffset.TryParse(dt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
        return new ObjectMeta
        {
            Name = name,

            // The API server puts namespaced objects without a namespace into "default" (kubectl's context namespace).
            Namespace = namespaced ? (string.IsNullOrEmpty(ns) ? "default" : ns) : null,
            Labels = meta.StringMap("labels"),
            Annotations = meta.StringMap("annotations"),
            Generation = meta.Long("generation") ?? 1,
            CreationTimestamp = created,
            DeletionTimestamp = deleting,
            DeletionGracePeriodSeconds = meta.Long("deletionGracePeriodSeconds"),
            Uid = meta.String("uid"),
            OwnerReferences = meta.List("ownerReferences", o => new OwnerReference(o.String("kind") ?? "", o.String("name") ?? "", o.Bool("controller") ?? false)),
        };
    }

    public static Service Service(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.Map("spec");
        return new Service
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = spec is null ? new ServiceSpec() : new ServiceSpec
            {
                Type = spec.String("type") ?? "ClusterIP",
                ClusterIP = spec.String("clusterIP"),
                ClusterIPs = spec.StringList("clusterIPs"),
                Selector = spec.StringMapOrNull("selector"),
                ExternalName = spec.String("externalName"),
                Ports = spec.List("ports", p =>
                {
                    var port = p.RequiredInt("port", "set port to the port number the Service exposes");
                    return new ServicePort
                    {
                        Name = p.String("name"),
                        Protocol = p.String("protocol") ?? "TCP",
                        Port = port,

                        // targetPort defaults to port (API server default).
                        TargetPort = p.IntOrString("targetPort") ?? IntOrString.Of(port),
                        AppProtocol = p.String("appProtocol"),
                    };
                }),
            },
        };
    }

    public static EndpointSlice EndpointSlice(MappingReader root, string apiVersion, ObjectMeta meta) => new()
    {
        ApiVersion = apiVersion,
        Metadata = meta,
        AddressType = root.String("addressType") ?? throw root.Required("addressType", "set addressType to IPv4, IPv6 or FQDN"),
        Endpoints = root.List("endpoints", e => new Endpoint
        {
            Addresses = e.StringList("addresses"),
            Conditions = e.Map("conditions") is { } c
                ? new EndpointConditions { Ready = c.Bool("ready"), Serving = c.Bool("serving"), Terminating = c.Bool("terminating") }
                : new EndpointConditions(),
            Hostname = e.String("hostname"),
            NodeName = e.String("nodeName"),
            TargetRef = e.Map("targetRef") is { } t
                ? new ObjectReference { Kind = t.String("kind"), Namespace = t.String("namespace"), Name = t.String("name") }
                : null,
        }),
        Ports = root.List("ports", p => new EndpointPort
        {
            Name = p.String("name"),
            Port = p.Int("port"),
            Protocol = p.String("protocol") ?? "TCP",
            AppProtocol = p.String("appProtocol"),
        }),
    };

    public static Deployment Deployment(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        var template = spec.RequiredMap("template");
        var templateMeta = template.Map("metadata");
        return new Deployment
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Replicas = spec.Int("replicas") ?? 1,
            SelectorMatchLabels = spec.Map("selector")?.StringMap("matchLabels") ?? new Dictionary<string, string>(),
            Template = new PodTemplate
            {
                Labels = templateMeta?.StringMap("labels") ?? new Dictionary<string, string>(),
                Annotations = templateMeta?.StringMap("annotations") ?? new Dictionary<string, string>(),
                Spec = PodSpec(template.RequiredMap("spec")),
            },
        };
    }

    public static Pod Pod(MappingReader root, string apiVersion, ObjectMeta meta) => new()
    {
        ApiVersion = apiVersion,
        Metadata = meta,
        Spec = PodSpec(root.RequiredMap("spec")),
        // The only status field mapped from any object: the Kubernetes source compares what it keeps of an object
        // (KubeSource.Content) to tell a change Weft reads from one it does not, so another must be kept there too.
        PodIP = root.Map("status")?.String("podIP"),
    };

    private static PodSpec PodSpec(MappingReader spec) => new()
    {
        // serviceAccount is the deprecated alias of serviceAccountName; both default to "default".
        ServiceAccountName = spec.String("serviceAccountName") ?? spec.String("serviceAccount") ?? "default",
        TerminationGracePeriodSeconds = spec.Long("terminationGracePeriodSeconds"),
        Containers = spec.List("containers", c => new Container
        {
            Name = c.RequiredString("name", "give the container a name"),
            Image = c.String("image"),
            Command = c.StringList("command"),
            Args = c.StringList("args"),
            Ports = c.List("ports", p => new ContainerPort
            {
                Name = p.String("name"),
                Port = p.RequiredInt("containerPort", "set containerPort"),
                Protocol = p.String("protocol") ?? "TCP",
            }),
            Env = c.List("env", e => new EnvVar
            {
                Name = e.RequiredString("name", "give the variable a name"),
                Value = e.String("value"),
            }),
        }),
    };
}
