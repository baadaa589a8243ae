using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>Route filters (gamma-spec G2, G4, G8 and L), for HTTPRoute and GRPCRoute, rule-level and backend-level.</summary>
internal static partial class CrdValidator
{
    private static readonly string[] HttpFilterTypes =
    [
        HttpRouteFilterType.RequestHeaderModifier, HttpRouteFilterType.ResponseHeaderModifier, HttpRouteFilterType.RequestMirror,
        HttpRouteFilterType.RequestRedirect, HttpRouteFilterType.UrlRewrite, HttpRouteFilterType.ExtensionRef,
        HttpRouteFilterType.Cors, HttpRouteFilterType.ExternalAuth,
    ];

    private static readonly string[] GrpcFilterTypes =
    [
        HttpRouteFilterType.ResponseHeaderModifier, HttpRouteFilterType.RequestHeaderModifier,
        HttpRouteFilterType.RequestMirror, HttpRouteFilterType.ExtensionRef,
    ];

    private static readonly string[] Schemes = ["http", "https"];
    private static readonly string[] PathModifierTypes = [PathModifierType.ReplaceFullPath, PathModifierType.ReplacePrefixMatch];
    private static readonly string[] CorsMethods = [.. HttpRouteMethod.All, "*"];
    private static readonly string[] AuthProtocols = ["HTTP", "GRPC"];

    private static void Filters(FieldErrors errors, string path, IReadOnlyList<HttpRouteFilter> filters, bool grpc)
    {
        errors.MaxItems(path, filters, 16);
        for (var i = 0; i < filters.Count; i++)
        {
            Filter(errors, $"{path}[{i}]", filters[i], grpc);
        }

        // G2: these filters may each appear at most once.
        string[] unique = grpc
            ? [HttpRouteFilterType.RequestHeaderModifier, HttpRouteFilterType.ResponseHeaderModifier]
            : [HttpRouteFilterType.Cors, HttpRouteFilterType.RequestHeaderModifier, HttpRouteFilterType.ResponseHeaderModifier,
               HttpRouteFilterType.RequestRedirect, HttpRouteFilterType.UrlRewrite];
        if (!grpc && filters.Any(f => f.Type == HttpRouteFilterType.RequestRedirect) && filters.Any(f => f.Type == HttpRouteFilterType.UrlRewrite))
        {
            errors.Rule(path, "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
                "keep either the RequestRedirect or the URLRewrite filter: a redirect answers the client, a rewrite forwards to a backend", "array");
        }

        foreach (var type in unique)
        {
            if (filters.Count(f => f.Type == type) > 1)
            {
                errors.Rule(path, $"{type} filter cannot be repeated", $"merge the {type} filters into one", "array");
            }
        }
    }

    private static void Filter(FieldErrors errors, string path, HttpRouteFilter f, bool grpc)
    {
        var types = grpc ? GrpcFilterTypes : HttpFilterTypes;
        errors.Enum($"{path}.type", f.Type, types);

        // G2: each sub-struct is set if and only if the filter's type names it.
        SetIffType(errors, path, f.Type, HttpRouteFilterType.Cors, "cors", f.Cors is not null, grpc);
        SetIffType(errors, path, f.Type, HttpRouteFilterType.RequestHeaderModifier, "requestHeaderModifier", f.RequestHeaderModifier is not null, false);
        SetIffType(errors, path, f.Type, HttpRouteFilterType.ResponseHeaderModifier, "responseHeaderModifier", f.ResponseHeaderModifier is not null, false);
        SetIffType(errors, path, f.Type, HttpRouteFilterType.RequestMirror, "requestMirror", f.RequestMirror is not null, false);
        SetIffType(errors, path, f.Type, HttpRouteFilterType.RequestRedirect, "requestRedirect", f.RequestRedirect is not null, grpc);
        SetIffType(errors, path, f.Type, HttpRouteFilterType.UrlRewrite, "urlRewrite", f.UrlRewrite is not null, grpc);
        SetIffType(errors, path, f.Type, HttpRouteFilterType.ExtensionRef, "extensionRef", f.ExtensionRef is not null, false);
        SetIffType(errors, path, f.Type, HttpRouteFilterType.ExternalAuth, "externalAuth", f.ExternalAuth is not null, grpc);

        if (f.RequestHeaderModifier is { } req)
        {
            HeaderFilter(errors, $"{path}.requestHeaderModifier", req);
        }

        if (f.ResponseHeaderModifier is { } res)
        {
            HeaderFilter(errors, $"{path}.responseHeaderModifier", res);
        }

        if (f.RequestRedirect is { } redirect)
        {
            var p = $"{path}.requestRedirect";
            errors.Enum($"{p}.scheme", redirect.Scheme, Schemes);
            errors.String($"{p}.hostname", redirect.Hostname, 1, 253, Patterns.PreciseHostname);
            errors.Range($"{p}.port", redirect.Port, 1, 65535);
            if (!HttpRequestRedirectFilter.AllowedStatusCodes.Contains(redirect.StatusCode))
            {
                errors.Unsupported($"{p}.statusCode", redirect.StatusCode, HttpRequestRedirectFilter.AllowedStatusCodes);
            }

            if (redirect.Path is { } modifier)
            {
                PathModifier(errors, $"{p}.path", modifier);
            }
        }

        if (f.UrlRewrite is { } rewrite)
        {
            errors.String($"{path}.urlRewrite.hostname", rewrite.Hostname, 1, 253, Patterns.PreciseHostname);
            if (rewrite.Path is { } modifier)
            {
                PathModifier(errors, $"{path}.urlRewrite.path", modifier);
            }
        }

        if (f.RequestMirror is { } mirror)
        {
            Mirror(errors, $"{path}.requestMirror", mirror);
        }

        if (f.Cors is { } cors)
        {
            Cors(errors, $"{path}.cors", cors);
        }

        if (f.ExtensionRef is { } ext)
        {
            LocalObjectReference(errors, $"{path}.extensionRef", ext);
        }

        if (f.ExternalAuth is { } auth)
        {
            errors.Enum($"{path}.externalAuth.protocol", auth.Protocol, AuthProtocols);
            BackendRef(errors, $"{path}.externalAuth.backendRef", auth.BackendRef, withWeight: false);
        }
    }

    private static void SetIffType(FieldErrors errors, string path, string type, string named, string field, bool set, bool notInKind)
    {
        if (notInKind)
        {
            return; // the field does not exist on this route kind's filter (GRPCRouteFilter)
        }

        if (set && type != named)
        {
            errors.Rule(path, $"filter.{field} must be nil if the filter.type is not {named}", $"remove {field}, or set type: {named}");
        }
        else if (!set && type == named)
        {
            errors.Rule(path, $"filter.{field} must be specified for {named} filter.type", $"add a {field} block to the filter");
        }
    }

    /// <summary>G4: set/add ≤16 keyed by name, remove ≤16 unique, names HeaderName, values 1..4096, one action per header name.</summary>
    private static void HeaderFilter(FieldErrors errors, string path, HttpHeaderFilter h)
    {
        foreach (var (key, list) in (ReadOnlySpan<(string, IReadOnlyList<HttpHeader>)>)[("set", h.Set), ("add", h.Add)])
        {
            errors.MaxItems($"{path}.{key}", list, 16);
            for (var i = 0; i < list.Count; i++)
            {
                errors.String($"{path}.{key}[{i}].name", list[i].Name, 1, 256, Patterns.HeaderName);
                errors.String($"{path}.{key}[{i}].value", list[i].Value, 1, 4096, Patterns.HeaderValue);
            }

            DuplicateNames(errors, $"{path}.{key}", list.Select(x => x.Name).ToList(), "header");
        }

        errors.MaxItems($"{path}.remove", h.Remove, 16);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < h.Remove.Count; i++)
        {
            if (!removed.Add(h.Remove[i]))
            {
                errors.Duplicate($"{path}.remove[{i}]", FieldErrors.Quote(h.Remove[i]), "list each header name once");
            }
        }

        // G4: "Only one action per header name" (names compare case-insensitively).
        var actions = h.Set.Select(x => x.Name).Distinct(StringComparer.OrdinalIgnoreCase)
            .Concat(h.Add.Select(x => x.Name).Distinct(StringComparer.OrdinalIgnoreCase))
            .Concat(h.Remove.Distinct(StringComparer.OrdinalIgnoreCase));
        foreach (var name in actions.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            errors.Invalid(path, name, $"header \"{name}\" is used by more than one of set, add and remove; only one action per header name is allowed",
                "keep the header in only one of set, add or remove");
        }
    }

    private static void PathModifier(FieldErrors errors, string path, HttpPathModifier p)
    {
        errors.Enum($"{path}.type", p.Type, PathModifierTypes);
        errors.String($"{path}.replaceFullPath", p.ReplaceFullPath, 0, 1024);
        errors.String($"{path}.replacePrefixMatch", p.ReplacePrefixMatch, 0, 1024);

        // CEL: the type and the matching field must agree.
        if (p.Type == PathModifierType.ReplaceFullPath && p.ReplaceFullPath is null)
        {
            errors.Rule(path, "replaceFullPath must be specified when type is set to 'ReplaceFullPath'", "add replaceFullPath: /new/path");
        }

        if (p.ReplaceFullPath is not null && p.Type != PathModifierType.ReplaceFullPath)
        {
            errors.Rule(path, "type must be 'ReplaceFullPath' when replaceFullPath is set", "set type: ReplaceFullPath, or remove replaceFullPath");
        }

        if (p.Type == PathModifierType.ReplacePrefixMatch && p.ReplacePrefixMatch is null)
        {
            errors.Rule(path, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'", "add replacePrefixMatch: /new-prefix");
        }

        if (p.ReplacePrefixMatch is not null && p.Type != PathModifierType.ReplacePrefixMatch)
        {
            errors.Rule(path, "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set", "set type: ReplacePrefixMatch, or remove replacePrefixMatch");
        }
    }

    /// <summary>G8: backendRef required, percent 0..100 or fraction (numerator ≤ denominator), not both.</summary>
    private static void Mirror(FieldErrors errors, string path, HttpRequestMirrorFilter m)
    {
        BackendRef(errors, $"{path}.backendRef", m.BackendRef, withWeight: false);
        errors.Range($"{path}.percent", m.Percent, 0, 100);
        if (m.Fraction is { } fraction)
        {
            errors.Minimum($"{path}.fraction.numerator", fraction.Numerator, 0);
            errors.Minimum($"{path}.fraction.denominator", fraction.Denominator, 1);
            if (fraction.Numerator > fraction.Denominator)
            {
                errors.Rule($"{path}.fraction", "numerator must be less than or equal to denominator", "lower the numerator or raise the denominator");
            }
        }

        if (m.Percent is not null && m.Fraction is not null)
        {
            errors.Rule(path, "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter", "remove either percent or fraction");
        }
    }

    /// <summary>gamma-spec L CORS: origins ≤64, methods ≤9 (enum), headers ≤64, '*' alone, maxAge ≥ 1.</summary>
    private static void Cors(FieldErrors errors, string path, HttpCorsFilter c)
    {
        errors.MaxItems($"{path}.allowOrigins", c.AllowOrigins, 64);
        for (var i = 0; i < c.AllowOrigins.Count; i++)
        {
            errors.String($"{path}.allowOrigins[{i}]", c.AllowOrigins[i], 1, 253, Patterns.CorsOrigin);
        }

        StarAlone(errors, $"{path}.allowOrigins", c.AllowOrigins, "AllowOrigins cannot contain '*' alongside other origins");

        errors.MaxItems($"{path}.allowMethods", c.AllowMethods, 9);
        for (var i = 0; i < c.AllowMethods.Count; i++)
        {
            errors.Enum($"{path}.allowMethods[{i}]", c.AllowMethods[i], CorsMethods);
        }

        StarAlone(errors, $"{path}.allowMethods", c.AllowMethods, "AllowMethods cannot contain '*' alongside other methods");

        foreach (var (key, list) in (ReadOnlySpan<(string, IReadOnlyList<string>)>)[("allowHeaders", c.AllowHeaders), ("exposeHeaders", c.ExposeHeaders)])
        {
            errors.MaxItems($"{path}.{key}", list, 64);
            for (var i = 0; i < list.Count; i++)
            {
                errors.String($"{path}.{key}[{i}]", list[i], 1, 256, Patterns.HeaderName);
            }
        }

        // The CRD's message for allowHeaders really says "methods".
        StarAlone(errors, $"{path}.allowHeaders", c.AllowHeaders, "AllowHeaders cannot contain '*' alongside other methods");
        errors.Minimum($"{path}.maxAge", c.MaxAge, 1);
    }

    private static void StarAlone(FieldErrors errors, string path, IReadOnlyList<string> list, string message)
    {
        if (list.Count > 1 && list.Contains("*"))
        {
            errors.Rule(path, message, "use either \"*\" alone or a list of explicit values", "array");
        }
    }
}
