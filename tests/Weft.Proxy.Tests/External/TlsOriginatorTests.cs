using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Weft.Proxy.Security;
using Weft.Routing.Policy;

namespace Weft.Proxy.Tests.External;

/// <summary>
/// TLS the sidecar originates to an external backend (XBackend tls): the chain must end in the policy's roots, the
/// certificate must carry the SNI name or one of the subjectAltNames, and a refusal names what to fix.
/// </summary>
public sealed class TlsOriginatorTests : IDisposable
{
    private readonly TestCertificates _ca = new("Example CA");
    private readonly TestCertificates _other = new("Other CA");

    public void Dispose()
    {
        _ca.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void Certificate_signed_by_the_ConfigMap_CA_for_the_SNI_name_is_accepted()
    {
        using var server = _ca.Server(["api.example.test"]);

        Assert.Null(Check(server, Policy("api.example.test", _ca.CaPem)));
    }

    [Fact]
    public void Certificate_not_signed_by_the_ConfigMap_CA_is_refused_naming_the_ConfigMap()
    {
        using var server = _other.Server(["api.example.test"]);

        var refused = Check(server, Policy("api.example.test", _ca.CaPem));

        Assert.NotNull(refused);
        Assert.Contains("is not signed by ConfigMap egress/example-ca", refused, StringComparison.Ordinal);
        Assert.Contains("CN=Other CA", refused, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificate_for_another_name_is_refused_listing_its_names()
    {
        using var server = _ca.Server(["other.example.test"]);

        var refused = Check(server, Policy("api.example.test", _ca.CaPem));

        Assert.Equal("certificate \"CN=other.example.test\" is not for api.example.test (its names: DNS other.example.test)", refused);
    }

    [Theory]
    [InlineData("URI", "spiffe://example.test/api", true)]
    [InlineData("URI", "spiffe://example.test/other", false)]
    [InlineData("Hostname", "x.svc.example.test", true)] // the certificate's *.svc.example.test
    [InlineData("Hostname", "other.example.test", false)]
    public void Subject_alt_names_replace_the_SNI_name(string type, string value, bool accepted)
    {
        // The certificate is for the SNI name too: once subjectAltNames are given, only they count.
        using var server = _ca.Server(["*.svc.example.test", "sni.example.test"], ["spiffe://example.test/api"]);
        var policy = Policy("sni.example.test", _ca.CaPem) with { SubjectAltNames = [new SubjectAltNamePolicy { Type = type, Value = value }] };

        var refused = Check(server, policy);

        Assert.Equal(accepted, refused is null);
        if (!accepted)
        {
            Assert.Contains($"carries none of the subjectAltNames {type} {value}", refused, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void With_the_system_roots_a_certificate_of_an_unknown_CA_is_refused_naming_them()
    {
        using var server = _ca.Server(["api.example.test"]);
        var policy = new TlsOriginationPolicy { ServerName = "api.example.test", Roots = "the system's roots", Source = "XBackend egress/api" };

        var refused = Check(server, policy);

        Assert.StartsWith("certificate \"CN=api.example.test\" (issuer \"CN=Example CA\") is not signed by the system's roots", refused, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_certificate_is_refused_as_expired()
    {
        using var server = _ca.Server(["api.example.test"], lifetime: TimeSpan.FromHours(1));

        var refused = Check(server, Policy("api.example.test", _ca.CaPem), at: DateTimeOffset.UtcNow.AddHours(2));

        Assert.Contains("has expired or is not valid yet", refused, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_not_meant_for_a_TLS_server_is_refused()
    {
        using var client = _ca.Server(["api.example.test"], usage: new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));

        var refused = Check(client, Policy("api.example.test", _ca.CaPem));

        Assert.Contains("is not for a TLS server", refused, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intermediate_the_server_sends_links_its_certificate_to_the_ConfigMap_root()
    {
        using var intermediate = new TestCertificates("Example Intermediate", issuer: _ca);
        using var server = intermediate.Server(["api.example.test"]);

        Assert.Null(Check(server, Policy("api.example.test", _ca.CaPem), sent: intermediate.Ca));
        Assert.Contains("is not signed by ConfigMap egress/example-ca", Check(server, Policy("api.example.test", _ca.CaPem)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wildcard_certificate_covers_one_label_of_the_SNI_name()
    {
        using var server = _ca.Server(["*.example.test"]);

        Assert.Null(Check(server, Policy("api.example.test", _ca.CaPem)));
        Assert.NotNull(Check(server, Policy("a.api.example.test", _ca.CaPem)));
    }

    [Fact]
    public async Task Handshake_sends_the_SNI_and_agrees_the_ALPN_asked()
    {
        using var certificate = _ca.Server(["api.example.test"]);
        await using var pair = await SocketPair.OpenAsync();
        string? sni = null;
        var serving = Task.Run(async () =>
        {
            await using var ssl = new SslStream(pair.Server);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            });
            sni = ssl.TargetHostName;
            await ssl.WriteAsync("ok"u8.ToArray());
        });

        await using var client = await TlsOriginator.ConnectAsync(pair.Client, "api.example.test:443", Policy("api.example.test", _ca.CaPem), SslApplicationProtocol.Http2, DateTimeOffset.UtcNow, CancellationToken.None);
        await serving;

        Assert.Equal("api.example.test", sni);
        Assert.Equal(SslApplicationProtocol.Http2, client.NegotiatedApplicationProtocol);
    }

    [Fact]
    public async Task A_server_refusing_HTTP2_is_a_clear_error_not_a_garbled_exchange()
    {
        using var certificate = _ca.Server(["api.example.test"]);
        await using var pair = await SocketPair.OpenAsync();
        var serving = Task.Run(async () =>
        {
            await using var ssl = new SslStream(pair.Server);
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
                _ = await ssl.ReadAsync(new byte[1]); // until the client gives up
            }
            catch (IOException)
            {
            }
        });

        var refused = await Assert.ThrowsAsync<AuthenticationException>(() =>
            TlsOriginator.ConnectAsync(pair.Client, "api.example.test:443", Policy("api.example.test", _ca.CaPem), SslApplicationProtocol.Http2, DateTimeOffset.UtcNow, CancellationToken.None));
        await serving;

        Assert.Contains("did not agree to HTTP/2", refused.Message, StringComparison.Ordinal);
        Assert.StartsWith("TLS to api.example.test:443 (SNI api.example.test, XBackend egress/api)", refused.Message, StringComparison.Ordinal);
    }

    private static TlsOriginationPolicy Policy(string serverName, string caPem) => new()
    {
        ServerName = serverName,
        CaCertificatesPem = [caPem],
        Roots = "ConfigMap egress/example-ca",
        Source = "XBackend egress/api",
    };

    /// <summary>The checks the handshake makes: the chain built under the originator's policy (with what the server sent), then the names.</summary>
    private static string? Check(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, TlsOriginationPolicy policy,
        DateTimeOffset? at = null, System.Security.Cryptography.X509Certificates.X509Certificate2? sent = null)
    {
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain { ChainPolicy = TlsOriginator.ChainPolicy(policy, at ?? DateTimeOffset.UtcNow) };
        if (sent is not null)
        {
            chain.ChainPolicy.ExtraStore.Add(sent);
        }

        var errors = chain.Build(certificate) ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors;
        return TlsOriginator.Check(certificate, chain, errors, policy);
    }

    /// <summary>Two connected loopback TCP streams.</summary>
    private sealed class SocketPair : IAsyncDisposable
    {
        private SocketPair(NetworkStream client, NetworkStream server)
        {
            Client = client;
            Server = server;
        }

        public NetworkStream Client { get; }

        public NetworkStream Server { get; }

        public static async Task<SocketPair> OpenAsync()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
            var accepting = listener.AcceptSocketAsync();
            await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
            return new SocketPair(new NetworkStream(client, ownsSocket: true), new NetworkStream(await accepting, ownsSocket: true));
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
