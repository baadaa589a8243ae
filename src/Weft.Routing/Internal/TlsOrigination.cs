using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Api.Model;
using Weft.Routing.Policy;

namespace Weft.Routing.Internal;

/// <summary>
/// The TLS a proxy originates to a backend, from the <c>validation</c> shape that BackendTLSPolicy and an XBackend's
/// <c>tls</c> share (GEP-1897): the CA bundles are read here, once per model, so a bad ConfigMap is a reason on the
/// route or policy rather than a failure per connection.
/// </summary>
internal static class TlsOrigination
{
    /// <summary>The most PEM read from one ConfigMap's <c>ca.crt</c>: a CA bundle, not a data store.</summary>
    public const int MaxCaBundleChars = 64 * 1024;

    /// <summary>With no <c>validation</c>: SNI <paramref name="hostname"/>, checked against the system's roots for that name.</summary>
    public static TlsOriginationPolicy SystemRoots(string hostname, string source) =>
        new() { ServerName = hostname, Roots = SystemRootsName, Source = source };

    /// <summary>
    /// The TLS a <c>validation</c> (BackendTLSPolicy's, or an XBackend's) asks for: SNI <c>hostname</c>, the roots of the
    /// referenced ConfigMaps' <c>ca.crt</c> in <paramref name="ns"/> or the system's, the subject alternative names to
    /// check; or the reason it cannot be honoured and a message saying what to fix. <see cref="MeshIndex"/> calls this
    /// once per policy or XBackend and model.
    /// </summary>
    public static TlsOriginationResult From(MeshIndex index, string ns, BackendTlsValidation validation, string source)
    {
        var sans = validation.SubjectAltNames
            .Select(s => new SubjectAltNamePolicy { Type = s.Type, Value = (s.Type == SubjectAltNameType.Uri ? s.Uri : s.Hostname) ?? "" })
            .ToList();
        if (validation.WellKnownCaCertificates is { } wellKnown)
        {
            return wellKnown == "System"
                ? TlsOriginationResult.Usable(new TlsOriginationPolicy { ServerName = validation.Hostname, Roots = SystemRootsName, SubjectAltNames = sans, Source = source })
                : new(null, RouteConditions.UnsupportedValue, $"wellKnownCACertificates \"{wellKnown}\" is not a set Weft knows; use System or caCertificateRefs.", [], 0);
        }

        var pems = new List<string>();
        var problems = new List<Problem>();
        foreach (var r in validation.CaCertificateRefs)
        {
            var (pem, problem) = Backends.CaCertificateRefs.IsConfigMap(r)
                ? CaBundle(index.ConfigMap(ns, r.Name), $"{ns}/{r.Name}")
                : (null, new Problem(RouteConditions.InvalidKind,
                    $"caCertificateRefs names {r.Kind} {r.Name} (group \"{r.Group}\"); Weft reads CA bundles from ConfigMaps (group \"\")."));
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
            return new(null, RouteConditions.InvalidCaCertificateRef, string.Join(" ", problems.Select(p => p.Message)), problems, pems.Count);
        }

        var roots = string.Join(", ", validation.CaCertificateRefs.Select(r => $"ConfigMap {ns}/{r.Name}"));
        return TlsOriginationResult.Usable(
            new TlsOriginationPolicy { ServerName = validation.Hostname, CaCertificatesPem = pems, Roots = roots, SubjectAltNames = sans, Source = source },
            pems.Count);
    }

    private const string SystemRootsName = "the system's roots";

    /// <summary>Whether a ConfigMap holds a CA bundle Weft can use: a <c>ca.crt</c> of at most 64 KiB with at least one PEM certificate.</summary>
    private static (string? Pem, Problem? Problem) CaBundle(ConfigMap? map, string key)
    {
        if (map is null)
        {
            return (null, Invalid($"ConfigMap {key} (caCertificateRefs) not found; create it with the CA's PEM under key ca.crt."));
        }

        if (!map.Data.TryGetValue(ConfigMap.CaCertificateKey, out var pem) || string.IsNullOrWhiteSpace(pem))
        {
            return (null, Invalid($"ConfigMap {key} has no key ca.crt; put the CA's PEM certificate under ca.crt."));
        }

        if (pem.Length > MaxCaBundleChars)
        {
            return (null, Invalid($"ConfigMap {key} ca.crt is {pem.Length} characters; Weft reads CA bundles of at most {MaxCaBundleChars}."));
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            return (null, Invalid($"ConfigMap {key} ca.crt is not a PEM certificate bundle: {e.Message}"));
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }

        return certificates.Count == 0 ? (null, Invalid($"ConfigMap {key} ca.crt holds no PEM certificate (-----BEGIN CERTIFICATE-----).")) : (pem, null);
    }

    private static Problem Invalid(string message) => new(RouteConditions.InvalidCaCertificateRef, message);
}
