using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>
/// <c>weft up examples/egress</c> as a user runs it, with pods in network namespaces and as processes (issue 17): a
/// plaintext <c>weft curl</c> to the Service api reaches the external host of its XBackend over TLS that the client's
/// sidecar originates (the server reports the SNI it was sent, on a port that speaks only TLS), and so does a mesh
/// Service under a BackendTLSPolicy; team-a's consumer route overrides payments for team-a alone; an XBackend whose CA
/// does not sign the server's certificate is refused with a 502 naming the ConfigMap, and nothing reaches the server.
/// </summary>
public sealed class EgressExampleTests(ITestOutputHelper output) : ExampleTest(output, "egress")
{
    [NetnsFact]
    public Task In_network_namespaces_the_sidecar_originates_TLS_to_the_external_host_and_team_a_alone_sees_its_override() => RunAsync("netns");

    [Fact]
    public Task With_pods_as_processes_the_sidecar_originates_TLS_to_the_external_host_and_team_a_alone_sees_its_override() => RunAsync("process");

    private async Task RunAsync(string isolation)
    {
        var manifests = CopyExample();

        await Children.UpAsync(manifests, ReadyFile, isolation);

        // The README's table. The app sent plaintext to api.shop; the server, on a port that speaks only TLS, saw the
        // SNI and the Host of the external name.
        var api = await Children.ExpectAsync(ReadyFile, "shop/client", "GET", "http://api.shop/orders", 200, "Hostname=api-server-");
        Assert.Contains("Sni=api.example.test\n", api, StringComparison.Ordinal);
        Assert.Contains("Host=api.example.test:8443\n", api, StringComparison.Ordinal);
        Assert.Contains("URL=/orders\n", api, StringComparison.Ordinal);
        Assert.DoesNotContain("Weft-", api, StringComparison.OrdinalIgnoreCase); // no mesh header leaves the mesh

        // A BackendTLSPolicy: TLS from the client's sidecar to legacy's app, inside the mTLS hop to legacy's sidecar.
        var legacy = await Children.ExpectAsync(ReadyFile, "shop/client", "GET", "http://legacy.shop/", 200, "Hostname=legacy-");
        Assert.Contains("Sni=legacy.shop.svc\n", legacy, StringComparison.Ordinal);

        await Children.ExpectAsync(ReadyFile, "shop/client", "GET", "http://payments.shop/", 200, "Hostname=payments-");
        var replica = await Children.ExpectAsync(ReadyFile, "team-a/client", "GET", "http://payments.shop/", 200, "Hostname=payments-replica-");
        Assert.DoesNotMatch("Hostname=payments-(?!replica)", replica);

        // weft explain says where the request goes, without sending it.
        var (explainCode, explained) = await Children.RunAsync(["explain", "--from", "shop/client", "http://api.shop/orders", manifests]);
        Assert.True(explainCode == 0, explained);
        Assert.DoesNotContain("error:", explained, StringComparison.Ordinal); // weft-hosts.yaml is not a manifest
        Assert.Contains("external host api.example.test:8443 (XBackend shop/api-example) over TLS, SNI api.example.test, validated against ConfigMap shop/example-ca", explained, StringComparison.Ordinal);

        // Every route's status says its backends resolved.
        var (statusCode, status) = await Children.RunAsync(["status", "--state", ReadyFile]);
        Assert.True(statusCode == 0, status);
        Assert.Contains("HTTPRoute shop/api", status, StringComparison.Ordinal);
        Assert.DoesNotContain("✗", status, StringComparison.Ordinal);

        // Another CA: the server's certificate is refused, and the client is told which ConfigMap to fix.
        await File.WriteAllTextAsync(Path.Combine(manifests, "wrong-ca.yaml"), WrongCa());
        var refused = await Children.UntilStatusAsync(ReadyFile, "shop/client", "http://api-wrong-ca.shop/", 502, TimeSpan.FromSeconds(30));
        Assert.Contains("ConfigMap shop/other-ca", refused, StringComparison.Ordinal);
        Assert.Contains("api.example.test:8443", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("Hostname=", refused, StringComparison.Ordinal);
    }

    /// <summary>Service api-wrong-ca routed to the same external host, validated against a CA that never signed its certificate.</summary>
    private static string WrongCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Some other CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pem = string.Join("\n", ca.ExportCertificatePem().Split('\n').Select(line => "    " + line));
        return $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: api-wrong-ca, namespace: shop}
            spec:
              ports: [{name: http, port: 80, appProtocol: http}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: api-wrong-ca, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: api-wrong-ca, port: 80}]
              rules: [{backendRefs: [{group: gateway.networking.x-k8s.io, kind: XBackend, name: api-wrong-ca}]}]
            ---
            apiVersion: gateway.networking.x-k8s.io/v1alpha1
            kind: XBackend
            metadata: {name: api-wrong-ca, namespace: shop}
            spec:
              type: ExternalHostname
              externalHostname: {hostname: api.example.test}
              port: {port: 8443}
              tls:
                mode: ServerOnly
                validation:
                  hostname: api.example.test
                  caCertificateRefs: [{group: "", kind: ConfigMap, name: other-ca}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: other-ca, namespace: shop}
            data:
              ca.crt: |
            {{pem}}
            """;
    }
}
