using System.Text.RegularExpressions;
using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>
/// AuthorizationPolicy (policy.weft.dev/v1alpha1, issue 14): the schema and the CEL rules of
/// deploy/crds/policy.weft.dev_authorizationpolicies.yaml, messages verbatim, and what CEL cannot say (a regex compiles).
/// </summary>
internal static partial class CrdValidator
{
    private static readonly string[] Actions = [AuthorizationAction.Allow, AuthorizationAction.Deny];
    private static readonly string[] TargetKinds = ["Pod", "Service", "HTTPRoute", "GRPCRoute"];
    private static readonly string[] SourceTypes = [AuthorizationSourceType.ServiceAccount, AuthorizationSourceType.Spiffe];
    private static readonly string[] SelectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"];

    private static void AuthorizationPolicy(FieldErrors errors, AuthorizationPolicy policy)
    {
        var spec = policy.Spec;
        errors.Enum("spec.action", spec.Action, Actions);
        errors.MinItems("spec.targetRefs", spec.TargetRefs, 1);
        errors.MaxItems("spec.targetRefs", spec.TargetRefs, 16);
        for (var i = 0; i < spec.TargetRefs.Count; i++)
        {
            TargetRef(errors, $"spec.targetRefs[{i}]", spec.TargetRefs[i]);
        }

        errors.MaxItems("spec.rules", spec.Rules, 64);
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            AuthorizationRule(errors, $"spec.rules[{i}]", spec.Rules[i]);
        }
    }

    private static void TargetRef(FieldErrors errors, string path, AuthorizationTargetReference t)
    {
        errors.String($"{path}.group", t.Group, 0, 253, Patterns.Group);
        errors.Enum($"{path}.kind", t.Kind, TargetKinds);
        errors.String($"{path}.name", t.Name, 1, 253);
        errors.String($"{path}.sectionName", t.SectionName, 1, 253, Patterns.SectionName);
        var isRoute = t.Kind is "HTTPRoute" or "GRPCRoute";
        if (isRoute ? t.Group != GatewayApi.Group : t.Group.Length != 0)
        {
            errors.Rule(path, "group must be '' for Pod and Service, and gateway.networking.k8s.io for HTTPRoute and GRPCRoute",
                isRoute ? $"set group: {GatewayApi.Group}" : "set group: \"\" (the core group)");
        }

        if (t.Kind == "Pod")
        {
            if (t.Selector is null)
            {
                errors.Rule(path, "a Pod target needs a selector", "add selector: {matchLabels: {app: NAME}}, or selector: {} for every pod of the namespace");
            }

            if (t.Name is not null)
            {
                errors.Rule(path, "a Pod target has no name", "remove name; select the pods by labels in selector");
            }
        }
        else
        {
            if (t.Name is null)
            {
                errors.Rule(path, "a Service, HTTPRoute or GRPCRoute target needs a name", $"set name to the {t.Kind}'s name in the policy's namespace");
            }

            if (t.Selector is not null)
            {
                errors.Rule(path, "only a Pod target has a selector", "remove selector, or target kind Pod to select pods by labels");
            }
        }

        if (t.SectionName is not null && !isRoute)
        {
            errors.Rule(path, "sectionName is only for HTTPRoute and GRPCRoute targets (a rule name)", "remove sectionName, or target the route whose rule it names");
        }

        if (t.Selector is { } selector)
        {
            LabelSelector(errors, $"{path}.selector", selector);
        }
    }

    /// <summary>A metav1 LabelSelector, as the API server validates one (label keys and values, and each operator's values).</summary>
    private static void LabelSelector(FieldErrors errors, string path, LabelSelector selector)
    {
        foreach (var (key, value) in selector.MatchLabels)
        {
            LabelKey(errors, $"{path}.matchLabels", key);
            LabelValue(errors, $"{path}.matchLabels", value);
        }

        for (var i = 0; i < selector.MatchExpressions.Count; i++)
        {
            var e = selector.MatchExpressions[i];
            var item = $"{path}.matchExpressions[{i}]";
            LabelKey(errors, $"{item}.key", e.Key);
            errors.Enum($"{item}.operator", e.Operator, SelectorOperators);
            if (e.Operator is "In" or "NotIn" && e.Values.Count == 0)
            {
                errors.Required($"{item}.values", "must be specified when `operator` is 'In' or 'NotIn'", "list the label values to match");
            }

            if (e.Operator is "Exists" or "DoesNotExist" && e.Values.Count > 0)
            {
                errors.Add($"{item}.values", "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'", "remove values");
            }

            for (var j = 0; j < e.Values.Count; j++)
            {
                LabelValue(errors, $"{item}.values[{j}]", e.Values[j]);
            }
        }
    }

    /// <summary>A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    private static void LabelKey(FieldErrors errors, string path, string key)
    {
        var slash = key.LastIndexOf('/');
        var (prefix, name) = slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
        var prefixOk = prefix is null || (prefix.Length is > 0 and <= 253 && Patterns.Rfc1123Subdomain.IsMatch(prefix));
        if (!prefixOk || name.Length is 0 or > 63 || !Patterns.LabelValue.IsMatch(name))
        {
            errors.Invalid(path, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63), with an optional DNS subdomain prefix and '/'",
                "use a label key such as app or app.kubernetes.io/name");
        }
    }

    /// <summary>A label value: empty, or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric.</summary>
    private static void LabelValue(FieldErrors errors, string path, string value)
    {
        if (value.Length > 63 || (value.Length > 0 && !Patterns.LabelValue.IsMatch(value)))
        {
            errors.Invalid(path, value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)",
                Patterns.LabelValue.Hint);
        }
    }

    private static void AuthorizationRule(FieldErrors errors, string path, AuthorizationRule rule)
    {
        if (rule.Sources is { } sources)
        {
            errors.MaxItems($"{path}.sources", sources, 64);
            for (var i = 0; i < sources.Count; i++)
            {
                Source(errors, $"{path}.sources[{i}]", sources[i]);
            }
        }

        if (rule.NetworkAttributes is { } network)
        {
            errors.MaxItems($"{path}.networkAttributes.ports", network.Ports, 16);
            for (var i = 0; i < network.Ports.Count; i++)
            {
                errors.Range($"{path}.networkAttributes.ports[{i}]", network.Ports[i], 1, 65535);
            }
        }

        if (rule.Http is { } http)
        {
            errors.MaxItems($"{path}.http.methods", http.Methods, 16);
            for (var i = 0; i < http.Methods.Count; i++)
            {
                errors.Enum($"{path}.http.methods[{i}]", http.Methods[i], HttpRouteMethod.All);
            }

            errors.MaxItems($"{path}.http.paths", http.Paths, 16);
            for (var i = 0; i < http.Paths.Count; i++)
            {
                var p = http.Paths[i];
                PathMatch(errors, $"{path}.http.paths[{i}]", p);
                if (p.Type == PathMatchType.RegularExpression)
                {
                    RegexCompiles(errors, $"{path}.http.paths[{i}].value", p.Value);
                }
            }

            HeaderMatches(errors, $"{path}.http.headers", http.Headers);
            for (var i = 0; i < http.Headers.Count; i++)
            {
                if (http.Headers[i].Type == HeaderMatchType.RegularExpression)
                {
                    RegexCompiles(errors, $"{path}.http.headers[{i}].value", http.Headers[i].Value);
                }
            }
        }

        if (rule.Grpc is { } grpc)
        {
            var grpcPath = $"{path}.grpc";
            errors.String($"{grpcPath}.service", grpc.Service, 1, 1024);
            errors.String($"{grpcPath}.method", grpc.Method, 1, 1024);
            if (grpc.Service is null && grpc.Method is null)
            {
                errors.Rule(grpcPath, "One or both of 'service' or 'method' must be specified", "set service (e.g. shop.Cart), method (e.g. Checkout), or both");
            }

            if (grpc.Service is { Length: > 0 } service && !Patterns.GrpcService.IsMatch(service))
            {
                errors.Rule(grpcPath, $"service must only contain valid characters (matching {Patterns.GrpcServiceText})",
                    "write the fully qualified service name, e.g. package.Service");
            }

            if (grpc.Method is { Length: > 0 } method && !Patterns.GrpcMethod.IsMatch(method))
            {
                errors.Rule(grpcPath, $"method must only contain valid characters (matching {Patterns.GrpcMethodText})", "write just the method name, e.g. Checkout");
            }
        }
    }

    private static void Source(FieldErrors errors, string path, AuthorizationSource s)
    {
        errors.Enum($"{path}.type", s.Type, SourceTypes);
        if ((s.Type == AuthorizationSourceType.ServiceAccount) != (s.ServiceAccount is not null))
        {
            errors.Rule(path, "serviceAccount must be set when type is ServiceAccount, and only then",
                s.ServiceAccount is null ? "add serviceAccount: {namespace: NS, name: NAME}" : "remove serviceAccount, or set type: ServiceAccount");
        }

        if ((s.Type == AuthorizationSourceType.Spiffe) != (s.Spiffe is not null))
        {
            errors.Rule(path, "spiffe must be set when type is SPIFFE, and only then",
                s.Spiffe is null ? "add spiffe: spiffe://TRUST-DOMAIN/PATH" : "remove spiffe, or set type: SPIFFE");
        }

        if (s.ServiceAccount is { } sa)
        {
            errors.String($"{path}.serviceAccount.namespace", sa.Namespace, 1, 63, Patterns.Namespace);
            if (sa.Name != "*")
            {
                errors.String($"{path}.serviceAccount.name", sa.Name, 1, 253, Patterns.ServiceAccountName);
            }
        }

        if (s.Spiffe is { } id && errors.String($"{path}.spiffe", id, 1, 2048) && !IsSpiffeId(id))
        {
            errors.Invalid($"{path}.spiffe", id, "must be a SPIFFE ID: spiffe://, a trust domain of lowercase letters, digits, '.', '-' and '_', then path segments of letters, digits, '.', '-' and '_' (none empty, '.' or '..')",
                "write it as spiffe://cluster.local/ns/NAMESPACE/sa/NAME");
        }
    }

    /// <summary>The SPIFFE ID grammar (SPIFFE-ID standard, section 2): scheme, trust domain, then a path without empty or dot segments.</summary>
    internal static bool IsSpiffeId(string id)
    {
        const string scheme = "spiffe://";
        if (!id.StartsWith(scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = id[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var trustDomain = slash < 0 ? rest : rest[..slash];
        if (trustDomain.Length is 0 or > 255 || !trustDomain.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_'))
        {
            return false;
        }

        if (slash < 0)
        {
            return true;
        }

        foreach (var segment in rest[(slash + 1)..].Split('/'))
        {
            if (segment is "" or "." or ".." || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A RegularExpression match's value must compile in <see cref="RegexDialect"/>, as Routing runs it (CEL cannot say
    /// so; the API server would store it and Routing refuse it).
    /// </summary>
    private static void RegexCompiles(FieldErrors errors, string path, string pattern)
    {
        if (RegexDialect.Problem(pattern) is { } problem)
        {
            errors.Invalid(path, pattern, $"not a valid regular expression: {problem}",
                "fix the regular expression (without lookarounds, backreferences, atomic groups or conditionals), or use type Exact (or PathPrefix for paths)");
        }
    }
}
