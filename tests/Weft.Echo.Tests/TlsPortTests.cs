using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Echo.Tests;

public sealed class TlsPortTests
{
    [Fact]
    public async Task A_tls_port_without_certificate_files_is_skipped_not_fatal()
    {
        await using var server = new EchoServer(new EchoOptions
        {
            HttpPorts = [0],
            GrpcPorts = [],
            TcpPorts = [0],
            TlsPorts = [0],
            CertificatePath = "/nonexistent/cert.crt",
            KeyPath = "/nonexistent/cert.key",
            BindAddress = IPAddress.Loopback,
        });

        await server.StartAsync(CancellationToken.None);

        // Port 0 is both the HTTP and the TCP port here, and both are TLS: neither is served.
        Assert.Empty(server.Endpoints);
        Assert.Equal([0, 0], server.SkippedPorts);
    }

    [Fact]
    public async Task A_tls_port_with_a_certificate_serves_https_with_alpn()
    {
        var directory = Directory.CreateTempSubdirectory("weft-echo-tls-");
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=echo", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            var crt = Path.Combine(directory.FullName, "cert.crt");
            var keyPath = Path.Combine(directory.FullName, "cert.key");
            await File.WriteAllTextAsync(crt, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

            await using var server = new EchoServer(new EchoOptions
            {
                HttpPorts = [0],
                GrpcPorts = [],
                TcpPorts = [],
                TlsPorts = [0],
                CertificatePath = crt,
                KeyPath = keyPath,
                BindAddress = IPAddress.Loopback,
            });
            await server.StartAsync(CancellationToken.None);
            var port = server.Endpoint(EchoPortKind.Https).Port;

            using var client = new HttpClient(new SocketsHttpHandler
            {
                UseProxy = false,
                SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.Thumbprint },
            });
            using var h2 = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/secure")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.SendAsync(h2);

            var body = EchoResponse.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("HTTP/2.0", body.Proto);
            Assert.Equal("h2", body.Alpn);
            Assert.Equal("/secure", body.Url);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
