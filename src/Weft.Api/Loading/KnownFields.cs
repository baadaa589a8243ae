namespace Weft.Api.Loading;

/// <summary>
/// The fields each kind may have, for strict field validation. Gateway API kinds list every field of the
/// v1.6.1 experimental CRD schemas, mapped by Weft or not (sessionPersistence, useDefaultGateways,
/// externalAuth.grpc…), so valid manifests are never rejected; a test checks these against the CRD files.
/// Core kinds check only what kubectl would reject for certain: the top-level fields, ObjectMeta, and the
/// Service spec; the rest of a Deployment, Pod or EndpointSlice is read as a subset and left unchecked.
/// </summary>
internal static class KnownFields
{
    /// <summary>Every ObjectMeta field (k8s.io/apimachinery meta/v1), for every kind.</summary>
    public static readonly FieldSchema ObjectMeta = FieldSchema.Of(
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
        "ownerReferences", "finalizers", "managedFields");

    private static readonly FieldSchema ParentRef = FieldSchema.Of("group", "kind", "name", "namespace", "port", "sectionName");
    private static readonly FieldSchema BackendObjectRef = FieldSchema.Of("group", "kind", "name", "namespace", "port");
    private static readonly FieldSchema LocalRef = FieldSchema.Of("group", "kind", "name");
    private static readonly FieldSchema Header = FieldSchema.Of("name", "value");
    private static readonly FieldSchema HeaderMatch = FieldSchema.Of("name", "type", "value");
    private static readonly FieldSchema HeaderModifier = FieldSchema.Of("remove").With("add", Header).With("set", Header);
    private static readonly FieldSchema PathModifier = FieldSchema.Of("type", "replaceFullPath", "replacePrefixMatch");

    private static readonly FieldSchema GrpcFilter = FieldSchema.Of("type")
        .With("extensionRef", LocalRef)
        .With("requestHeaderModifier", HeaderModifier)
        .With("responseHeaderModifier", HeaderModifier)
        .With("requestMirror", FieldSchema.Of("percent").With("backendRef", BackendObjectRef).With("fraction", FieldSchema.Of("numerator", "denominator")));

    private static readonly FieldSchema HttpFilter = GrpcFilter
        .With("cors", FieldSchema.Of("allowCredentials", "allowHeaders", "allowMethods", "allowOrigins", "exposeHeaders", "maxAge"))
        .With("externalAuth", FieldSchema.Of("protocol")
            .With("backendRef", BackendObjectRef)
            .With("forwardBody", FieldSchema.Of("maxSize"))
            .With("grpc", FieldSchema.Of("allowedHeaders"))
            .With("http", FieldSchema.Of("allowedHeaders", "allowedResponseHeaders", "path")))
        .With("requestRedirect", FieldSchema.Of("hostname", "port", "scheme", "statusCode").With("path", PathModifier))
        .With("urlRewrite", FieldSchema.Of("hostname").With("path", PathModifier));

    private static readonly FieldSchema SessionPersistence = FieldSchema.Of("absoluteTimeout", "sessionName", "type")
        .With("cookieConfig", FieldSchema.Of("lifetimeType"));

    private static readonly FieldSchema RouteSpec = FieldSchema.Of("useDefaultGateways").With("parentRefs", ParentRef);

    private static readonly FieldSchema L4Rule = FieldSchema.Of("name").With("backendRefs", BackendObjectRef.With("weight"));

    public static readonly FieldSchema HttpRoute = Crd(RouteSpec.With("hostnames").With("rules", FieldSchema.Of("name")
        .With("matches", FieldSchema.Of("method")
            .With("path", FieldSchema.Of("type", "value"))
            .With("headers", HeaderMatch)
            .With("queryParams", HeaderMatch))
        .With("filters", HttpFilter)
        .With("backendRefs", BackendObjectRef.With("weight").With("filters", HttpFilter))
        .With("timeouts", FieldSchema.Of("request", "backendRequest"))
        .With("retry", FieldSchema.Of("attempts", "backoff", "codes"))
        .With("sessionPersistence", SessionPersistence)));

    public static readonly FieldSchema GrpcRoute = Crd(RouteSpec.With("hostnames").With("rules", FieldSchema.Of("name")
        .With("matches", FieldSchema.Of()
            .With("method", FieldSchema.Of("type", "service", "method"))
            .With("headers", HeaderMatch))
        .With("filters", GrpcFilter)
        .With("backendRefs", BackendObjectRef.With("weight").With("filters", GrpcFilter))
        .With("sessionPersistence", SessionPersistence)));

    public static readonly FieldSchema TcpRoute = Crd(RouteSpec.With("rules", L4Rule));

    public static readonly FieldSchema TlsRoute = Crd(RouteSpec.With("hostnames").With("rules", L4Rule));

    public static readonly FieldSchema ReferenceGrant = Crd(FieldSchema.Of()
        .With("from", FieldSchema.Of("group", "kind", "namespace"))
        .With("to", FieldSchema.Of("group", "kind", "name")));

    public static readonly FieldSchema XMesh = Crd(FieldSchema.Of("controllerName", "description")
        .With("parametersRef", FieldSchema.Of("group", "kind", "name", "namespace")));

    /// <summary>How a backend's certificate is checked: BackendTLSPolicy's <c>spec.validation</c>, an XBackend's <c>spec.tls.validation</c>.</summary>
    private static readonly FieldSchema BackendTlsValidation = FieldSchema.Of("hostname", "wellKnownCACertificates")
        .With("caCertificateRefs", LocalRef)
        .With("subjectAltNames", FieldSchema.Of("type", "hostname", "uri"));

    public static readonly FieldSchema XBackend = Crd(FieldSchema.Of("type", "protocol")
        .With("externalHostname", FieldSchema.Of("hostname"))
        .With("port", FieldSchema.Of("port", "name"))
        .With("tls", FieldSchema.Of("mode")
            .With("clientCertificateRef", FieldSchema.Of("group", "kind", "name", "namespace"))
            .With("validation", BackendTlsValidation)));

    public static readonly FieldSchema BackendTlsPolicy = Crd(FieldSchema.Of("options")
        .With("targetRefs", FieldSchema.Of("group", "kind", "name", "sectionName"))
        .With("validation", BackendTlsValidation));

    public static readonly FieldSchema XBackendTrafficPolicy = Crd(FieldSchema.Of()
        .With("targetRefs", LocalRef)
        .With("retryConstraint", FieldSchema.Of()
            .With("budget", FieldSchema.Of("percent", "interval"))
            .With("minRetryRate", FieldSchema.Of("count", "interval")))
        .With("sessionPersistence", SessionPersistence));

    /// <summary>
    /// Weft's AuthorizationPolicy (deploy/crds/policy.weft.dev_authorizationpolicies.yaml; a test checks the two agree).
    /// A targetRef has no namespace field: a policy never reaches across namespaces.
    /// </summary>
    public static readonly FieldSchema AuthorizationPolicy = Crd(FieldSchema.Of("action")
        .With("targetRefs", FieldSchema.Of("group", "kind", "name", "sectionName")
            .Without("namespace", "a policy applies in its own namespace only: remove namespace, and create the policy in the target's namespace")
            .With("selector", FieldSchema.Of("matchLabels").With("matchExpressions", FieldSchema.Of("key", "operator", "values"))))
        .With("rules", FieldSchema.Of()
            .With("sources", FieldSchema.Of("type", "spiffe").With("serviceAccount", FieldSchema.Of("namespace", "name")))
            .With("networkAttributes", FieldSchema.Of("ports"))
            .With("http", FieldSchema.Of("methods").With("paths", FieldSchema.Of("type", "value")).With("headers", HeaderMatch))
            .With("grpc", FieldSchema.Of("service", "method"))));

    /// <summary>ServiceSpec and ServicePort (core/v1) in full: Weft reads the ports and the addressing fields.</summary>
    public static readonly FieldSchema Service = Core(FieldSchema.Of("status").With("spec", FieldSchema.Of(
            "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity", "loadBalancerIP",
            "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy", "healthCheckNodePort",
            "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy",
            "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy", "trafficDistribution")
        .With("ports", FieldSchema.Of("name", "protocol", "appProtocol", "port", "targetPort", "nodePort"))));

    public static readonly FieldSchema Namespace = Core(FieldSchema.Of("spec", "status"));

    public static readonly FieldSchema ServiceAccount = Core(FieldSchema.Of("secrets", "imagePullSecrets", "automountServiceAccountToken"));

    public static readonly FieldSchema ConfigMap = Core(FieldSchema.Of("data", "binaryData", "immutable"));

    /// <summary>Deployment and Pod: Weft reads a subset of the spec, so only the top level is checked.</summary>
    public static readonly FieldSchema Workload = Core(FieldSchema.Of("spec", "status"));

    public static readonly FieldSchema EndpointSlice = Core(FieldSchema.Of("addressType", "endpoints", "ports"));

    /// <summary>A Gateway API object: the CRD's spec, and a status that is accepted and ignored.</summary>
    private static FieldSchema Crd(FieldSchema spec) => Core(FieldSchema.Of("status").With("spec", spec));

    private static FieldSchema Core(FieldSchema body) => body.With("apiVersion", "kind").With("metadata", ObjectMeta);
}
