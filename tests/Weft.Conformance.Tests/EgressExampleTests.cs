using System.Net;
using System.Net.Sockets;
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

        // The outbound policy, toward a host that is neither a Service nor a pod of the mesh (this test's own server, on
        // the node's address that pods reach): shop (allow-any, the default) reaches it; team-a (registry-only, its
        // namespace's annotation) is refused at its sidecar, which says why and counts it, and nothing reaches the host.
        var state = StateFile.TryRead(ReadyFile)!;
        await using var outsideHost = OutsideHost.Start(isolation == "netns" ? IPAddress.Parse(state.Nameserver!) : IPAddress.Loopback);
        var target = $"http://{outsideHost.EndPoint}/status";
        await Children.ExpectAsync(ReadyFile, "shop/client", "GET", target, 200, "outside the mesh");
        Assert.Equal(1, outsideHost.Requests);
        var teamA = state.Pods.Single(p => p.Namespace == "team-a" && p.Deployment == "client");
        var refusedBefore = await OutboundRefusedAsync(teamA);
        await Children.ExpectAsync(ReadyFile, "team-a/client", "GET", target, 403,
            $"registry-only: {outsideHost.EndPoint} is not a Service of the mesh (outbound policy from namespace team-a annotation weft.dev/outbound-policy)");
        if (isolation == "process")
        {
            // With pods as processes an app names hosts to its sidecar (proxy settings): refused before any look-up, as
            // no XBackend of team-a declares the host; shop's XBackend api-example does, so shop's direct call by that
            // name goes to it, TLS originated, as the route's does.
            await Children.ExpectAsync(ReadyFile, "team-a/client", "GET", "http://api.example.test:8443/", 403, "api.example.test:8443 is not a Service of the mesh");
            await Children.ExpectAsync(ReadyFile, "shop/client", "GET", "http://api.example.test:8443/direct", 200, "Sni=api.example.test\n");
        }

        Assert.Equal(1, outsideHost.Requests);
        Assert.True(await OutboundRefusedAsync(teamA) > refusedBefore, "team-a's sidecar did not count the refusal");

        // weft explain says where the request goes, without sending it.
        var (explainCode, explained) = await Children.RunAsync(["explain", "--from", "shop/client", "http://api.shop/orders", manifests]);
        Assert.True(explainCode == 0, explained);
        Assert.DoesNotContain("error:", explained, StringComparison.Ordinal); // weft-hosts.yaml is not a manifest
        Assert.Contains("external host api.example.test:8443 (XBackend shop/api-example) over TLS, SNI api.example.test, validated against ConfigMap shop/example-ca", explained, StringComparison.Ordinal);

        var (outsideCode, outside) = await Children.RunAsync(["explain", "--from", "team-a/client", "http://192.0.2.10/", manifests]);
        Assert.True(outsideCode == 1, outside); // no frontend
        Assert.Contains("refused by the client's sidecar, 403, nothing sent (outbound policy registry-only, from namespace team-a annotation weft.dev/outbound-policy)", outside, StringComparison.Ordinal);

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

    private static async Task<long> OutboundRefusedAsync(PodState pod)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var metrics = await http.GetStringAsync(new Uri($"http://{pod.IP}:{pod.Sidecar.Admin}/metrics"));
        const string Series = "weft_outbound_refused_total{reason=\"registry_only\"} ";
        var line = metrics.Split('\n').Single(l => l.StartsWith(Series, StringComparison.Ordinal));
        return long.Parse(line[Series.Length..], System.Globalization.CultureInfo.InvariantCulture);
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

    /// <summary>An HTTP server outside the mesh (no Service, no pod): answers every request 200 "outside the mesh" and counts them.</summary>
    private sealed class OutsideHost : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;
        private int _requests;

        private OutsideHost(IPAddress address)
        {
            _listener = new TcpListener(address, 0);
            _listener.Start();
            _serving = ServeAsync();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public int Requests => Volatile.Read(ref _requests);

        public static OutsideHost Start(IPAddress address) => new(address);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                await using var stream = client.GetStream();
                var head = new List<byte>();
                var buffer = new byte[1];
                while (!head.AsEnumerable().Reverse().Take(4).SequenceEqual("\n\r\n\r"u8.ToArray()) && await stream.ReadAsync(buffer, _stop.Token) == 1)
                {
                    head.Add(buffer[0]);
                }

                Interlocked.Increment(ref _requests);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\noutside the mesh\n"u8.ToArray(), _stop.Token);
            }
        }
    }
}
