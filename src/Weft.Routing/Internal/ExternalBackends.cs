using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>
/// A route's backendRef to an <c>XBackend</c> (Gateway API v1.6.1 experimental, issue 17): the external host, the protocol
/// the proxy speaks to it, and the TLS it originates, or why the reference cannot be used (gamma-spec F4's reasons).
/// </summary>
internal static class ExternalBackends
{
    /// <summary>The most PEM read from one ConfigMap's <c>ca.crt</c>: a CA bundle, not a data store.</summary>
    public const int MaxCaBundleChars = 64 * 1024;

    public static bool IsRef(string? group, string? kind) => group == GatewayApi.ExperimentalGroup && kind == XBackend.KindName;

    /// <summary>
    /// What a reference from <paramref name="route"/> (of type <paramref name="type"/>) to XBackend
    /// <paramref name="ns"/>/<paramref name="name"/> resolves to: the external backend and the protocol the proxy speaks
    /// to it, or a reason and a message saying what is wrong and how to fix it.
    /// </summary>
    public static Resolution Resolve(MeshIndex index, Route route, RouteType type, string ns, string name)
    {
        var key = $"{ns}/{name}";

        // F6's second clause: an external backend reaches beyond what the client could already reach, so a reference
        // into another namespace needs that namespace's ReferenceGrant (F7).
        if (ns != route.Namespace && !index.Granted(GatewayApi.Group, route.Kind, route.Namespace, GatewayApi.ExperimentalGroup, XBackend.KindName, ns, name))
        {
            return Resolution.Fail(RouteConditions.RefNotPermitted,
                $"XBackend {key} is in another namespace and no ReferenceGrant in {ns} lets {route.Kind}s of {route.Namespace} refer to it; "
                + $"add one (from {{group: {GatewayApi.Group}, kind: {route.Kind}, namespace: {route.Namespace}}} to {{group: {GatewayApi.ExperimentalGroup}, kind: XBackend}}) or move the XBackend.");
        }

        if (index.XBackend(ns, name) is not { } backend)
        {
            return Resolution.Fail(RouteConditions.BackendNotFound, $"XBackend {key} not found; create it or fix backendRef name/namespace.");
        }

        if (backend.Spec is not { Type: XBackendType.ExternalHostname, ExternalHostname: { } hostname })
        {
            return Resolution.Fail(RouteConditions.UnsupportedValue, $"XBackend {key} has type \"{backend.Spec.Type}\"; Weft routes to type ExternalHostname.");
        }

        // The CRD's words forbid an IP address, but no rule of it checks; a route may not use one as a host name.
        if (System.Net.IPAddress.TryParse(hostname, out _))
        {
            return Resolution.Fail(RouteConditions.UnsupportedValue,
                $"XBackend {key} names the IP address {hostname} as externalHostname.hostname, which the XBackend API forbids; name the host by its DNS name.");
        }

        var (app, protocolProblem) = Protocol(backend.Spec.Protocol, type);
        if (protocolProblem is not null)
        {
            return Resolution.Fail(RouteConditions.UnsupportedProtocol, $"XBackend {key} has protocol {backend.Spec.Protocol}: {protocolProblem}");
        }

        var source = $"XBackend {key}";
        TlsOriginationPolicy? tls = null;
        if (backend.Spec.Tls is { Mode: not XBackendTlsMode.None } settings)
        {
            if (type == RouteType.Tls)
            {
                return Resolution.Fail(RouteConditions.UnsupportedValue,
                    $"XBackend {key} originates TLS (tls.mode {settings.Mode}), but a TLSRoute passes the client's own TLS through; set tls.mode None or leave tls unset.");
            }

            if (settings.Mode == XBackendTlsMode.ClientAndServer)
            {
                return Resolution.Fail(RouteConditions.UnsupportedValue,
                    $"XBackend {key} asks for tls.mode ClientAndServer; Weft does not yet present client certificates to external backends (it does not read Secrets); use ServerOnly.");
            }

            var (origination, reason, message) = Origination(index, ns, hostname, settings.Validation, source);
            if (origination is null)
            {
                return Resolution.Fail(reason!, $"XBackend {key}: {message}");
            }

            tls = origination;
        }

        return new(new ExternalBackendPolicy { Hostname = hostname, Port = backend.Spec.Port.Port, Source = source, Tls = tls }, app, null, null);
    }

    /// <summary>
    /// The TLS the proxy originates: SNI <c>validation.hostname</c> (the XBackend's host name without validation), the
    /// roots of the referenced ConfigMaps' <c>ca.crt</c> or the system's, and the subject alternative names to check.
    /// </summary>
    private static (TlsOriginationPolicy? Policy, string? Reason, string? Message) Origination(
        MeshIndex index, string ns, string hostname, BackendTlsValidation? validation, string source)
    {
        if (validation is null)
        {
            return (new TlsOriginationPolicy { ServerName = hostname, Roots = SystemRoots, Source = source }, null, null);
        }

        var sans = validation.SubjectAltNames
            .Select(s => new SubjectAltNamePolicy { Type = s.Type, Value = (s.Type == SubjectAltNameType.Uri ? s.Uri : s.Hostname) ?? "" })
            .ToList();
        if (validation.WellKnownCaCertificates is { } wellKnown)
        {
            return wellKnown == "System"
                ? (new TlsOriginationPolicy { ServerName = validation.Hostname, Roots = SystemRoots, SubjectAltNames = sans, Source = source }, null, null)
                : (null, RouteConditions.UnsupportedValue, $"wellKnownCACertificates \"{wellKnown}\" is not a set Weft knows; use System or caCertificateRefs.");
        }

        var pems = new List<string>();
        var problems = new List<string>();
        foreach (var r in validation.CaCertificateRefs)
        {
            var (pem, problem) = r is { Group: "", Kind: "ConfigMap" }
                ? CaBundle(index.ConfigMap(ns, r.Name), $"{ns}/{r.Name}")
                : (null, $"caCertificateRefs names {r.Kind} {r.Name} (group \"{r.Group}\"); Weft reads CA bundles from ConfigMaps (group \"\").");
            if (problem is not null)
            {
                problems.Add(problem);
            }
            else
            {
                pems.Add(pem!);
            }
        }

        // Core support is one ConfigMap; every usable one adds its roots, and one unusable one fails the backend, as
        // "connections using an invalid CACertificateRef MUST fail" says.
        if (problems.Count > 0)
        {
            return (null, RouteConditions.InvalidCaCertificateRef, string.Join(" ", problems));
        }

        var roots = string.Join(", ", validation.CaCertificateRefs.Select(r => $"ConfigMap {ns}/{r.Name}"));
        return (new TlsOriginationPolicy { ServerName = validation.Hostname, CaCertificatesPem = pems, Roots = roots, SubjectAltNames = sans, Source = source }, null, null);
    }

    private const string SystemRoots = "the system's roots";

    /// <summary>Whether a ConfigMap holds a CA bundle Weft can use: a <c>ca.crt</c> of at most 64 KiB with at least one PEM certificate.</summary>
    private static (string? Pem, string? Problem) CaBundle(ConfigMap? map, string key)
    {
        if (map is null)
        {
            return (null, $"ConfigMap {key} (caCertificateRefs) not found; create it with the CA's PEM under key ca.crt.");
        }

        if (!map.Data.TryGetValue(ConfigMap.CaCertificateKey, out var pem) || string.IsNullOrWhiteSpace(pem))
        {
            return (null, $"ConfigMap {key} has no key ca.crt; put the CA's PEM certificate under ca.crt.");
        }

        if (pem.Length > MaxCaBundleChars)
        {
            return (null, $"ConfigMap {key} ca.crt is {pem.Length} characters; Weft reads CA bundles of at most {MaxCaBundleChars}.");
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            return (null, $"ConfigMap {key} ca.crt is not a PEM certificate bundle: {e.Message}");
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }

        return certificates.Count == 0 ? (null, $"ConfigMap {key} ca.crt holds no PEM certificate (-----BEGIN CERTIFICATE-----).") : (pem, null);
    }

    /// <summary>F5 for an XBackend: its <c>protocol</c> against the route's kind (unset: what the route implies).</summary>
    private static (string Backend, string? Problem) Protocol(string? protocol, RouteType type)
    {
        if (protocol == XBackendProtocol.Mcp)
        {
            return (BackendAppProtocol.Http, "Weft does not speak MCP to backends.");
        }

        return type switch
        {
            RouteType.Tcp or RouteType.Tls => protocol is null or XBackendProtocol.Tcp
                ? (BackendAppProtocol.Tcp, null)
                : (BackendAppProtocol.Tcp, $"a {type}Route relays bytes; give the XBackend protocol TCP or none."),
            RouteType.Grpc => protocol switch
            {
                null or XBackendProtocol.Http2 or XBackendProtocol.H2c => (BackendAppProtocol.Http2, null),
                XBackendProtocol.Tcp => (BackendAppProtocol.Http2, "a GRPCRoute's calls need HTTP/2; use protocol HTTP2, H2C or none."),
                _ => (BackendAppProtocol.Http2, "gRPC needs HTTP/2; use protocol HTTP2, H2C or none."),
            },
            _ => protocol switch
            {
                null or XBackendProtocol.Http or XBackendProtocol.Http11 => (BackendAppProtocol.Http, null),
                XBackendProtocol.Http2 or XBackendProtocol.H2c => (BackendAppProtocol.Http2, null),
                _ => (BackendAppProtocol.Http, "an HTTPRoute's requests need an HTTP protocol; use HTTP, HTTP11, HTTP2, H2C or none."),
            },
        };
    }

    /// <summary>An external backend and the protocol to speak to it, or (<see cref="Reason"/> set) why the reference fails.</summary>
    internal readonly record struct Resolution(ExternalBackendPolicy? External, string AppProtocol, string? Reason, string? Message)
    {
        public static Resolution Fail(string reason, string message) => new(null, BackendAppProtocol.Http, reason, message);
    }
}
