using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Tests.Shared;

/// <summary>
/// Issue 17's objects as Kubernetes-mode tests apply them: Service shop/api whose HTTPRoute sends everything to XBackend
/// shop/api-example (api.example.test:8443 over TLS validated by ConfigMap shop/egress-ca), an XBackendTrafficPolicy
/// giving it a 5% retry budget, and a BackendTLSPolicy on the Service. One source, linked into each test project that
/// needs them.
/// </summary>
internal static class EgressManifests
{
    /// <summary>Namespace shop, Service api (port 80, no pods) and its HTTPRoute to XBackend api-example.</summary>
    public const string Shop = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: shop}
        spec:
          ports: [{name: http, port: 80}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: api, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: api, port: 80}]
          rules:
          - backendRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: api-example}]
        """;

    /// <summary>XBackend shop/api-example (TLS, CA from ConfigMap egress-ca) and XBackendTrafficPolicy shop/api-budget on it.</summary>
    public const string XBackend = """
        apiVersion: gateway.networking.x-k8s.io/v1alpha1
        kind: XBackend
        metadata: {name: api-example, namespace: shop}
        spec:
          type: ExternalHostname
          externalHostname: {hostname: api.example.test}
          port: {port: 8443}
          tls:
            mode: ServerOnly
            validation:
              hostname: api.example.test
              caCertificateRefs: [{group: "", kind: ConfigMap, name: egress-ca}]
        ---
        apiVersion: gateway.networking.x-k8s.io/v1alpha1
        kind: XBackendTrafficPolicy
        metadata: {name: api-budget, namespace: shop}
        spec:
          targetRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: api-example}]
          retryConstraint: {budget: {percent: 5}}
        """;

    /// <summary>BackendTLSPolicy shop/api-tls on Service api (SNI api.shop.svc), its CA from ConfigMap <paramref name="caConfigMap"/>.</summary>
    public static string TlsPolicy(string caConfigMap) => $$"""
        apiVersion: gateway.networking.k8s.io/v1
        kind: BackendTLSPolicy
        metadata: {name: api-tls, namespace: shop}
        spec:
          targetRefs: [{group: "", kind: Service, name: api}]
          validation:
            hostname: api.shop.svc
            caCertificateRefs: [{group: "", kind: ConfigMap, name: {{caConfigMap}}}]
        """;

    /// <summary>A self-signed CA certificate (PEM) made for the run, for a ConfigMap's <c>ca.crt</c>.</summary>
    public static string NewCaPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Weft test egress CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return ca.ExportCertificatePem();
    }
}
