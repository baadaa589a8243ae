using Weft.Api.Model;

namespace Weft.Api.Loading;

/// <summary>Maps Gateway API objects (routes, ReferenceGrant, XMesh), applying the CRD defaults the API server would.</summary>
internal static class GatewayObjectMapper
{
    public static HttpRoute HttpRoute(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new HttpRoute
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new HttpRouteSpec
            {
                ParentRefs = spec.List("parentRefs", ParentRef),
                Hostnames = spec.StringList("hostnames"),

                // CRD default: no rules → one rule matching PathPrefix "/" (gamma-spec E3).
                Rules = spec.ListOrNull("rules", HttpRule) ?? [new HttpRouteRule()],
            },
        };
    }

    public static GrpcRoute GrpcRoute(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new GrpcRoute
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new GrpcRouteSpec
            {
                ParentRefs = spec.List("parentRefs", ParentRef),
                Hostnames = spec.StringList("hostnames"),
                Rules = spec.List("rules", r => new GrpcRouteRule
                {
                    Name = r.String("name"),
                    Matches = r.List("matches", m => new GrpcRouteMatch
                    {
                        Method = m.Map("method") is { } method
                            ? new GrpcMethodMatch
                            {
                                Type = method.String("type") ?? HeaderMatchType.Exact,
                                Service = method.String("service"),
                                Method = method.String("method"),
                            }
                            : null,
                        Headers = m.List("headers", HeaderMatch),
                    }),
                    Filters = r.List("filters", GrpcFilter),
                    BackendRefs = r.List("backendRefs", b => BackendRef(b, GrpcFilter)),
                }),
            },
        };
    }

    public static TcpRoute TcpRoute(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new TcpRoute
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new TcpRouteSpec { ParentRefs = spec.List("parentRefs", ParentRef), Rules = spec.List("rules", L4Rule) },
        };
    }

    public static TlsRoute TlsRoute(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new TlsRoute
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new TlsRouteSpec
            {
                ParentRefs = spec.List("parentRefs", ParentRef),
                Hostnames = spec.StringList("hostnames"),
                Rules = spec.List("rules", L4Rule),
            },
        };
    }

    public static ReferenceGrant ReferenceGrant(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new ReferenceGrant
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            From = spec.List("from", f => new ReferenceGrantFrom
            {
                Group = f.RequiredString("group", "set group (\"\" for core kinds)"),
                Kind = f.RequiredString("kind"),
                Namespace = f.RequiredString("namespace"),
            }),
            To = spec.List("to", t => new ReferenceGrantTo
            {
                Group = t.RequiredString("group", "set group (\"\" for core kinds such as Service)"),
                Kind = t.RequiredString("kind"),
                Name = t.String("name"),
            }),
        };
    }

    public static XMesh XMesh(MappingReader root, string apiVersion, ObjectMeta meta)
    {
        var spec = root.RequiredMap("spec");
        return new XMesh
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            ControllerName = spec.String("controllerName")
                ?? throw spec.Required("spec.controllerName", "set controllerName to the mesh's domain-prefixed name, e.g. example.com/weft"),
            Description = spec.String("description"),
            ParametersRef = spec.Map("parametersRef") is { } p ? LocalRef(p) : null,
        };
    }

    private static ParentReference ParentRef(MappingReader p) => new()
    {
        // CRD defaults; a written "core" group is kept as is for Routing to judge (gamma-spec A1).
        Group = p.String("group") ?? GatewayApi.Group,
        Kind = p.String("kind") ?? "Gateway",
        Namespace = p.String("namespace"),
        Name = p.RequiredString("name", "set name to the parent Service (or Gateway) name"),
        SectionName = p.String("sectionName"),
        Port = p.Int("port"),
    };

    private static BackendRef BackendRef(MappingReader b, Func<MappingReader, HttpRouteFilter> filter) => new()
    {
        Group = b.String("group") ?? CoreServiceRef.Group,
        Kind = b.String("kind") ?? CoreServiceRef.Kind,
        Namespace = b.String("namespace"),
        Name = b.RequiredString("name", "set name to the backend Service name"),
        Port = b.Int("port"),
        Weight = b.Int("weight") ?? 1,
        Filters = b.List("filters", filter),
    };

    private static BackendRef PlainBackendRef(MappingReader b) => BackendRef(b, HttpFilter);

    private static L4RouteRule L4Rule(MappingReader r) => new()
    {
        Name = r.String("name"),
        BackendRefs = r.List("backendRefs", PlainBackendRef),
    };

    private static HttpRouteRule HttpRule(MappingReader r) => new()
    {
        Name = r.String("name"),

        // CRD defaults: a rule without matches gets [PathPrefix "/"] (gamma-spec E3).
        Matches = r.ListOrNull("matches", HttpMatch) ?? [new HttpRouteMatch()],
        Filters = r.List("filters", HttpFilter),
        BackendRefs = r.List("backendRefs", PlainBackendRef),
        Timeouts = r.Map("timeouts") is { } t
            ? new HttpRouteTimeouts { Request = t.String("request"), BackendRequest = t.String("backendRequest") }
            : null,
        Retry = r.Map("retry") is { } retry
            ? new HttpRouteRetry { Codes = retry.IntList("codes"), Attempts = retry.Int("attempts"), Backoff = retry.String("backoff") }
            : null,
    };

    private static HttpRouteMatch HttpMatch(MappingReader m) => new()
    {
        // CRD defaults: no path → PathPrefix "/"; type PathPrefix; value "/".
        Path = m.Map("path") is { } p ? PathMatch(p) : new HttpPathMatch(),
        Headers = m.List("headers", HeaderMatch),
        QueryParams = m.List("queryParams", q => new HttpQueryParamMatch
        {
            Type = q.String("type") ?? HeaderMatchType.Exact,
            Name = q.RequiredString("name"),
            Value = q.RequiredString("value"),
        }),
        Method = m.String("method"),
    };

    /// <summary>HTTPPathMatch with its CRD defaults (type PathPrefix, value "/"); AuthorizationPolicy's <c>http.paths[]</c> too.</summary>
    internal static HttpPathMatch PathMatch(MappingReader p) =>
        new() { Type = p.String("type") ?? PathMatchType.PathPrefix, Value = p.String("value") ?? "/" };

    /// <summary>HTTPHeaderMatch with its CRD default (type Exact); AuthorizationPolicy's <c>http.headers[]</c> too.</summary>
    internal static HttpHeaderMatch HeaderMatch(MappingReader h) => new()
    {
        Type = h.String("type") ?? HeaderMatchType.Exact,
        Name = h.RequiredString("name"),
        Value = h.RequiredString("value"),
    };

    private static HttpRouteFilter HttpFilter(MappingReader f) => new()
    {
        Type = f.RequiredString("type"),
        RequestHeaderModifier = f.Map("requestHeaderModifier") is { } req ? HeaderFilter(req) : null,
        ResponseHeaderModifier = f.Map("responseHeaderModifier") is { } res ? HeaderFilter(res) : null,
        RequestRedirect = f.Map("requestRedirect") is { } r
            ? new HttpRequestRedirectFilter
            {
                Scheme = r.String("scheme"),
                Hostname = r.String("hostname"),
                Path = r.Map("path") is { } p ? PathModifier(p) : null,
                Port = r.Int("port"),

                // CRD default statusCode 302.
                StatusCode = r.Int("statusCode") ?? 302,
            }
            : null,
        UrlRewrite = f.Map("urlRewrite") is { } u
            ? new HttpUrlRewriteFilter { Hostname = u.String("hostname"), Path = u.Map("path") is { } up ? PathModifier(up) : null }
            : null,
        RequestMirror = f.Map("requestMirror") is { } m ? Mirror(m) : null,
        Cors = f.Map("cors") is { } c
            ? new HttpCorsFilter
            {
                AllowOrigins = c.StringList("allowOrigins"),
                AllowMethods = c.StringList("allowMethods"),
                AllowHeaders = c.StringList("allowHeaders"),
                ExposeHeaders = c.StringList("exposeHeaders"),
                AllowCredentials = c.Bool("allowCredentials"),

                // CRD default maxAge 5 seconds.
                MaxAge = c.Int("maxAge") ?? 5,
            }
            : null,
        ExtensionRef = f.Map("extensionRef") is { } e ? LocalRef(e) : null,
        ExternalAuth = f.Map("externalAuth") is { } a
            ? new HttpExternalAuthFilter
            {
                Protocol = a.RequiredString("protocol"),
                BackendRef = PlainBackendRef(a.RequiredMap("backendRef")),
            }
            : null,
    };

    /// <summary>GRPCRoute filters: only the kinds GRPCRouteFilter has (RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef).</summary>
    private static HttpRouteFilter GrpcFilter(MappingReader f) => new()
    {
        Type = f.RequiredString("type"),
        RequestHeaderModifier = f.Map("requestHeaderModifier") is { } req ? HeaderFilter(req) : null,
        ResponseHeaderModifier = f.Map("responseHeaderModifier") is { } res ? HeaderFilter(res) : null,
        RequestMirror = f.Map("requestMirror") is { } m ? Mirror(m) : null,
        ExtensionRef = f.Map("extensionRef") is { } e ? LocalRef(e) : null,
    };

    private static HttpRequestMirrorFilter Mirror(MappingReader m) => new()
    {
        BackendRef = PlainBackendRef(m.RequiredMap("backendRef")),
        Percent = m.Int("percent"),
        Fraction = m.Map("fraction") is { } fr
            ? new Fraction { Numerator = fr.RequiredInt("numerator", "set numerator"), Denominator = fr.Int("denominator") ?? 100 }
            : null,
    };

    private static HttpHeaderFilter HeaderFilter(MappingReader h) => new()
    {
        Set = h.List("set", Header),
        Add = h.List("add", Header),
        Remove = h.StringList("remove"),
    };

    private static HttpHeader Header(MappingReader h) => new() { Name = h.RequiredString("name"), Value = h.RequiredString("value") };

    private static HttpPathModifier PathModifier(MappingReader p) => new()
    {
        Type = p.RequiredString("type"),
        ReplaceFullPath = p.String("replaceFullPath"),
        ReplacePrefixMatch = p.String("replacePrefixMatch"),
    };

    private static LocalObjectReference LocalRef(MappingReader r) => new()
    {
        Group = r.String("group") ?? "",
        Kind = r.RequiredString("kind"),
        Name = r.RequiredString("name"),
    };
}
