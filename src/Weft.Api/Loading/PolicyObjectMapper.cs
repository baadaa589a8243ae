using Weft.Api.Model;

namespace Weft.Api.Loading;

/// <summary>Maps Weft's own policy objects (<c>policy.weft.dev</c>): AuthorizationPolicy, with the CRD's defaults.</summary>
internal static class PolicyObjectMapper
{
    public static AuthorizationPolicy AuthorizationPolicy(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new AuthorizationPolicy
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new AuthorizationPolicySpec
            {
                TargetRefs = spec.List("targetRefs", TargetRef),
                Action = spec.String("action") ?? throw spec.Required("spec.action", "set action to ALLOW or DENY"),
                Rules = spec.List("rules", r => Rule(r, meta.Namespace ?? "default")),
            },
        };
    }

    private static AuthorizationTargetReference TargetRef(MappingReader t) => new()
    {
        // GEP-713 target references name their group explicitly: "" for Pod and Service, the Gateway API group for routes.
        Group = t.RequiredString("group", "set group: \"\" for Pod and Service, gateway.networking.k8s.io for HTTPRoute and GRPCRoute"),
        Kind = t.RequiredString("kind", "set kind to Pod, Service, HTTPRoute or GRPCRoute"),
        Name = t.String("name"),
        SectionName = t.String("sectionName"),
        Selector = t.Map("selector") is { } s ? Selector(s) : null,
    };

    private static LabelSelector Selector(MappingReader s) => new()
    {
        MatchLabels = s.StringMap("matchLabels"),
        MatchExpressions = s.List("matchExpressions", e => new LabelSelectorRequirement
        {
            Key = e.RequiredString("key"),
            Operator = e.RequiredString("operator", "set operator to In, NotIn, Exists or DoesNotExist"),
            Values = e.StringList("values"),
        }),
    };

    private static AuthorizationRule Rule(MappingReader r, string policyNamespace) => new()
    {
        // Omitted and empty differ: omitted is any source, [] is none.
        Sources = r.ListOrNull("sources", s => Source(s, policyNamespace)),
        NetworkAttributes = r.Map("networkAttributes") is { } n ? new AuthorizationNetworkAttributes { Ports = n.IntList("ports") } : null,
        Http = r.Map("http") is { } h
            ? new AuthorizationHttpAttributes
            {
                Methods = h.StringList("methods"),
                Paths = h.List("paths", GatewayObjectMapper.PathMatch),
                Headers = h.List("headers", GatewayObjectMapper.HeaderMatch),
            }
            : null,
        Grpc = r.Map("grpc") is { } g ? new AuthorizationGrpcAttributes { Service = g.String("service"), Method = g.String("method") } : null,
    };

    /// <param name="s">The source.</param>
    /// <param name="policyNamespace">The policy's namespace: a service account's when it names none (GEP-3779).</param>
    private static AuthorizationSource Source(MappingReader s, string policyNamespace) => new()
    {
        Type = s.RequiredString("type", "set type to ServiceAccount or SPIFFE"),
        ServiceAccount = s.Map("serviceAccount") is { } sa
            ? new AuthorizationServiceAccount
            {
                Namespace = sa.String("namespace") ?? policyNamespace,
                Name = sa.RequiredString("name", "set name to the service account's name, or \"*\" for every service account of the namespace"),
            }
            : null,
        Spiffe = s.String("spiffe"),
    };
}
