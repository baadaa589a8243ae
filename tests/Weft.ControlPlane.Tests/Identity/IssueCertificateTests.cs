using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery.Identity;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests.Identity;

/// <summary>The discovery API's IssueCertificate on a real control plane.</summary>
public sealed class IssueCertificateTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = FakeClock.AtNow();
    private ControlPlaneHost _host = null!;
    private GrpcChannel _channel = null!;
    private Discovery.V1.Discovery.DiscoveryClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await ControlPlaneHost.StartAsync(new ControlPlaneOptions { Time = _clock }, CancellationToken.None);
        TestCallers.SetPods(_host, TestCallers.Pod("shop", "checkout-0", "checkout"));
        _channel = TestCallers.Channel(_host, time: _clock);
        _client = new Discovery.V1.Discovery.DiscoveryClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    // The token travels as on every discovery call (authorization: Bearer).
    private async Task<IssueCertificateReply> IssueAsync(byte[] csr, string token) =>
        await _client.IssueCertificateAsync(
            new IssueCertificateRequest { CsrDer = ByteString.CopyFrom(csr) },
            headers: token.Length == 0 ? [] : new Metadata { { "authorization", "Bearer " + token } });

    private string CheckoutToken() => _host.IssueWorkloadToken("shop", "checkout-0", TestCallers.UidOf("shop", "checkout-0"), "checkout");

    [Fact]
    public async Task Certificate_names_the_token_identity_whatever_else_the_csr_asks_for()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.Csr(key, "CN=admin", request =>
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("kubernetes.default");
            request.CertificateExtensions.Add(names.Build());
        });

        var reply = await IssueAsync(csr, CheckoutToken());

        using var leaf = X509CertificateLoader.LoadCertificate(reply.CertificateDer.Span);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/checkout", reply.SpiffeId);
        Assert.True(SpiffeValidation.TryReadSpiffeId(leaf, out var id, out _));
        Assert.Equal(reply.SpiffeId, id);
        Assert.Equal(new DateTimeOffset(leaf.NotAfter.ToUniversalTime()).ToUnixTimeMilliseconds(), reply.NotAfterUnixMs);
        var root = Assert.Single(reply.TrustBundleDer);
        Assert.Equal(_host.CertificateAuthority.Root.RawData, root.ToByteArray());
        Assert.Contains("-----BEGIN CERTIFICATE-----", _host.TrustBundlePem);
    }

    [Fact]
    public async Task A_csr_asking_for_another_identity_than_the_token_proves_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.Csr(key, "CN=admin", request =>
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddUri(new Uri("spiffe://cluster.local/ns/kube-system/sa/admin"));
            request.CertificateExtensions.Add(names.Build());
        });

        var refused = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(csr, CheckoutToken()));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("asks for identity spiffe://cluster.local/ns/kube-system/sa/admin, but the token proves spiffe://cluster.local/ns/shop/sa/checkout", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_invalid_expired_or_forged_token_is_unauthenticated()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.Csr(key);
        var foreign = WorkloadTokenIssuer.LoadOrCreate(null, _clock).IssueToken("shop", "checkout-0", TestCallers.UidOf("shop", "checkout-0"), "checkout", TimeSpan.FromDays(1));
        var expiring = CheckoutToken();
        _clock.Advance(TimeSpan.FromHours(2)); // past the default 1 h token lifetime

        foreach (var (token, why) in new[] { ("", "no credential"), ("garbage", "malformed"), (foreign, "not issued by this control plane"), (expiring, "expired") })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(csr, token));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Contains(why, e.Status.Detail);
        }
    }

    [Fact]
    public async Task Csr_with_a_bad_signature_is_invalid_argument()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256).CreateSigningRequest(X509SignatureGenerator.CreateForECDsa(other));

        var e = await Assert.ThrowsAsync<RpcException>(() => IssueAsync(forged, CheckoutToken()));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task Custom_authenticator_decides_who_the_caller_is()
    {
        await using var host = await ControlPlaneHost.StartAsync(
            new ControlPlaneOptions { Ca = new CaOptions { TrustDomain = "prod.example" }, WorkloadAuthenticator = new FixedAuthenticator() },
            CancellationToken.None);
        TestCallers.SetPods(host, TestCallers.Pod("payments", "ledger-0", "ledger"));
        using var channel = TestCallers.Channel(host, Weft.Discovery.DiscoveryCredentials.Bearer("anything"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var reply = await new Discovery.V1.Discovery.DiscoveryClient(channel).IssueCertificateAsync(
            new IssueCertificateRequest { CsrDer = ByteString.CopyFrom(TestPki.Csr(key)) });

        Assert.Equal("spiffe://prod.example/ns/payments/sa/ledger", reply.SpiffeId);
    }

    private sealed class FixedAuthenticator : IWorkloadAuthenticator
    {
        public ValueTask<WorkloadAuthentication> AuthenticateAsync(string token, CancellationToken ct) =>
            ValueTask.FromResult(WorkloadAuthentication.Accepted(new WorkloadClaims("payments", "ledger-0", "ledger", DateTimeOffset.MaxValue)));
    }
}
