using Weft.Api.Model;

namespace Weft.Api.Validation;

/// <summary>
/// The checks the API server makes before it stores an object: the Gateway API CRD schemas and CEL rules
/// (gamma-spec L, and the experimental CRDs' <c>x-kubernetes-validations</c>, messages verbatim), and enough
/// of the core objects' validation to reject garbage. An object with any violation is not loaded.
/// </summary>
internal static partial class CrdValidator
{
    public static IReadOnlyList<FieldError> Validate(KubeObject obj)
    {
        var errors = new FieldErrors();
        Metadata(errors, obj);
        switch (obj)
        {
            case HttpRoute r: HttpRoute(errors, r); break;
            case GrpcRoute r: GrpcRoute(errors, r); break;
            case TcpRoute r: TcpRoute(errors, r); break;
            case TlsRoute r: TlsRoute(errors, r); break;
            case ReferenceGrant g: ReferenceGrant(errors, g); break;
            case XMesh m: XMesh(errors, m); break;
            case AuthorizationPolicy a: AuthorizationPolicy(errors, a); break;
            case XBackend b: XBackend(errors, b); break;
            case BackendTlsPolicy p: BackendTlsPolicy(errors, p); break;
            case XBackendTrafficPolicy p: XBackendTrafficPolicy(errors, p); break;
            case Service s: Service(errors, s); break;
            case EndpointSlice s: EndpointSlice(errors, s); break;
            case Deployment d: Deployment(errors, d); break;
            case Pod p: PodSpec(errors, "spec", p.Spec, requireImage: true); IpAddress(errors, "status.podIP", p.PodIP); break;
        }

        return errors.Errors;
    }

    private static void Metadata(FieldErrors errors, KubeObject obj)
    {
        // Object names: a Service name is an RFC 1035 label, a Namespace name an RFC 1123 label, the rest RFC 1123 subdomains.
        var (regex, max, what, example) = obj switch
        {
            Model.Service => (Patterns.Rfc1035Label, 63, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", "my-name"),
            Model.Namespace => (Patterns.Rfc1123Label, 63, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", "my-name"),
            _ => (Patterns.Rfc1123Subdomain, 253, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", "example.com"),
        };
        if (obj.Name.Length == 0)
        {
            errors.Required("metadata.name", "name or generateName is required", "set metadata.name");
        }
        else if (obj.Name.Length > max || !regex.IsMatch(obj.Name) || obj.Name.Contains('\n', StringComparison.Ordinal))
        {
            errors.Invalid("metadata.name", obj.Name, obj.Name.Length > max ? $"must be no more than {max} characters" : what,
                $"rename it, e.g. '{example}'");
        }

        if (obj.Metadata.Namespace is { } ns && (ns.Length > 63 || !Patterns.Rfc1123Label.IsMatch(ns)))
        {
            errors.Invalid("metadata.namespace", ns,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                "use a namespace name such as my-namespace (at most 63 characters)");
        }

        Labels(errors, "metadata.labels", obj.Metadata.Labels);
        Annotations(errors, "metadata.annotations", obj.Metadata.Annotations);

        if (obj.Metadata.Generation < 0)
        {
            errors.Invalid("metadata.generation", obj.Metadata.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be greater than or equal to 0", "remove metadata.generation");
        }
    }

    /// <summary>The API server's ValidateLabels: each key a qualified name, each value a label value of at most 63 characters.</summary>
    private static void Labels(FieldErrors errors, string path, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in labels)
        {
            LabelKey(errors, path, key);
            LabelValue(errors, path, value);
        }
    }

    /// <summary>The API server's ValidateAnnotations: keys are qualified names (any case), and all keys and values together at most 256 KiB.</summary>
    private static void Annotations(FieldErrors errors, string path, IReadOnlyDictionary<string, string> annotations)
    {
        long total = 0;
        foreach (var (key, value) in annotations)
        {
            LabelKey(errors, path, key.ToLowerInvariant());
            total += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value);
        }

        if (total > TotalAnnotationSizeLimitB)
        {
            errors.Add(path, $"Too long: may not be more than {TotalAnnotationSizeLimitB} bytes",
                $"the annotations take {total} bytes; keep large data in a ConfigMap and refer to it");
        }
    }

    /// <summary>The API server's TotalAnnotationSizeLimitB: 256 KiB for all of an object's annotation keys and values.</summary>
    internal const int TotalAnnotationSizeLimitB = 256 * 1024;

    private static void XMesh(FieldErrors errors, XMesh mesh)
    {
        // GEP-3949 XMesh spec (gamma-spec M).
        errors.String("spec.controllerName", mesh.ControllerName, 1, 253, Patterns.ControllerName);
        errors.String("spec.description", mesh.Description, 0, 64);
        if (mesh.ParametersRef is { } p)
        {
            LocalObjectReference(errors, "spec.parametersRef", p);
        }
    }

    private static void ReferenceGrant(FieldErrors errors, ReferenceGrant grant)
    {
        // gamma-spec F7: from 1..16 of {group, kind, namespace}; to 1..16 of {group, kind, name?}.
        errors.MinItems("spec.from", grant.From, 1);
        errors.MaxItems("spec.from", grant.From, 16);
        errors.MinItems("spec.to", grant.To, 1);
        errors.MaxItems("spec.to", grant.To, 16);
        for (var i = 0; i < grant.From.Count; i++)
        {
            var from = grant.From[i];
            var path = $"spec.from[{i}]";
            errors.String($"{path}.group", from.Group, 0, 253, Patterns.Group);
            errors.String($"{path}.kind", from.Kind, 1, 63, Patterns.Kind);
            errors.String($"{path}.namespace", from.Namespace, 1, 63, Patterns.Namespace);
        }

        for (var i = 0; i < grant.To.Count; i++)
        {
            var to = grant.To[i];
            var path = $"spec.to[{i}]";
            errors.String($"{path}.group", to.Group, 0, 253, Patterns.Group);
            errors.String($"{path}.kind", to.Kind, 1, 63, Patterns.Kind);
            errors.String($"{path}.name", to.Name, 1, 253);
        }
    }

    private static void LocalObjectReference(FieldErrors errors, string path, LocalObjectReference r) =>
        ObjectReference(errors, path, r.Group, r.Kind, r.Name);

    /// <summary>The group, kind and name of a Gateway API object reference (local, policy target or Secret reference).</summary>
    private static void ObjectReference(FieldErrors errors, string path, string group, string kind, string name)
    {
        errors.String($"{path}.group", group, 0, 253, Patterns.Group);
        errors.String($"{path}.kind", kind, 1, 63, Patterns.Kind);
        errors.String($"{path}.name", name, 1, 253);
    }
}
