using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery.Identity;

namespace Weft.ControlPlane.Tests.Identity;

public sealed class MeshCertificateAuthorityTests : IDisposable
{
    private const string Workload = "spiffe://cluster.local/ns/shop/sa/checkout";
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = FakeClock.AtNow();

    public void Dispose() => _dir.Dispose();

    private MeshCertificateAuthority Ca(CaOptions? options = null) => MeshCertificateAuthority.LoadOrCreate(options ?? new CaOptions(), _clock);

    private static X509Certificate2 Leaf(IssuedCertificate issued) => X509CertificateLoader.LoadCertificate(issued.CertificateDer);

    [Fact]
    public void Root_is_persisted_and_reused_across_restarts()
    {
        string thumbprint;
        using (var first = Ca(new CaOptions { StateDirectory = _dir.Path }))
        {
            thumbprint = first.Root.Thumbprint;
        }

        using var second = Ca(new CaOptions { StateDirectory = _dir.Path });

        Assert.Equal(thumbprint, second.Root.Thumbprint);
        Assert.Matches("^O=Weft, CN=Weft Mesh Root CA [0-9a-f]{8}$", second.Root.Subject);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir.Path, MeshCertificateAuthority.RootKeyFile)));
        }
    }

    [Fact]
    public void Root_without_a_state_directory_is_new_on_every_start()
    {
        using var first = Ca();
        using var second = Ca();

        Assert.NotEqual(first.Root.Thumbprint, second.Root.Thumbprint);
    }

    [Fact]
    public void Root_is_a_p256_ca_that_only_signs_certificates()
    {
        using var ca = Ca();

        var constraints = Assert.IsType<X509BasicConstraintsExtension>(ca.Root.Extensions["2.5.29.19"]);
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, Assert.IsType<X509KeyUsageExtension>(ca.Root.Extensions["2.5.29.15"]).KeyUsages);
        using var key = ca.Root.GetECDsaPublicKey()!;
        Assert.Equal(256, key.KeySize);
        Assert.Equal(_clock.GetUtcNow().AddDays(3650).UtcDateTime, ca.Root.NotAfter.ToUniversalTime());
    }

    [Fact]
    public void User_provided_root_is_used_over_the_state_directory()
    {
        using var userKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=Corp Mesh Root, O=Corp", userKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var userRoot = request.CreateSelfSigned(_clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddYears(1));
        var certPath = _dir.Write("corp.crt", userRoot.ExportCertificatePem());
        var keyPath = _dir.Write("corp.key", userKey.ExportECPrivateKeyPem());
        var state = Path.Combine(_dir.Path, "state");

        using var ca = Ca(new CaOptions { StateDirectory = state, RootCertPath = certPath, RootKeyPath = keyPath });
        using var leaf = TestPki.IssueWithKey(ca, Workload);

        Assert.Equal(userRoot.Thumbprint, ca.Root.Thumbprint);
        Assert.False(Directory.Exists(state));
        Assert.Equal(userRoot.Subject, leaf.Issuer);
        Assert.True(SpiffeValidation.Validate(leaf, [userRoot], Workload, _clock.GetUtcNow(), out _, out var error), error);
    }

    [Fact]
    public void User_provided_root_must_come_with_its_own_key()
    {
        using var other = Ca(new CaOptions { StateDirectory = Path.Combine(_dir.Path, "a") });
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certPath = _dir.Write("root.crt", other.Root.ExportCertificatePem());
        var keyPath = _dir.Write("wrong.key", otherKey.ExportPkcs8PrivateKeyPem());

        var e = Assert.Throws<InvalidOperationException>(() => Ca(new CaOptions { RootCertPath = certPath, RootKeyPath = keyPath }));

        Assert.Contains("does not belong", e.Message);
    }

    [Fact]
    public void Leaf_names_the_given_spiffe_id_and_copies_nothing_else_the_csr_asks_for()
    {
        using var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.Csr(key, "CN=admin, O=system:masters", request =>
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddUri(new Uri(Workload));
            names.AddDnsName("kubernetes.default");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        });

        using var leaf = Leaf(ca.Issue(csr, Workload));

        Assert.True(SpiffeValidation.TryReadSpiffeId(leaf, out var id, out var error), error);
        Assert.Equal(Workload, id);
        Assert.Equal("O=Weft", leaf.Subject);
        Assert.Empty(Assert.IsType<X509SubjectAlternativeNameExtension>(leaf.Extensions["2.5.29.17"]).EnumerateDnsNames());
        Assert.False(Assert.IsType<X509BasicConstraintsExtension>(leaf.Extensions["2.5.29.19"]).CertificateAuthority);
    }

    [Fact]
    public void A_csr_naming_another_identity_is_refused()
    {
        using var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = TestPki.Csr(key, "O=Weft", request =>
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddUri(new Uri("spiffe://cluster.local/ns/kube-system/sa/admin"));
            request.CertificateExtensions.Add(names.Build());
        });

        var refused = Assert.Throws<ArgumentException>(() => ca.Issue(csr, Workload));

        Assert.Contains("spiffe://cluster.local/ns/kube-system/sa/admin", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Leaf_lives_24_hours_by_default_from_one_minute_ago()
    {
        using var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var issued = ca.Issue(TestPki.Csr(key), Workload);

        Assert.Equal(_clock.GetUtcNow().AddHours(24), issued.NotAfter);
        Assert.Equal(_clock.GetUtcNow().AddMinutes(-1), issued.NotBefore);
    }

    [Fact]
    public void Leaf_never_outlives_the_root()
    {
        using var ca = Ca(new CaOptions { RootLifetime = TimeSpan.FromHours(30) });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _clock.Advance(TimeSpan.FromHours(20));

        var issued = ca.Issue(TestPki.Csr(key), Workload);

        Assert.Equal(ca.Root.NotAfter.ToUniversalTime(), issued.NotAfter.UtcDateTime);
        Assert.Equal(TimeSpan.FromHours(10), issued.NotAfter - _clock.GetUtcNow());
    }

    [Fact]
    public void Leaf_is_an_end_entity_for_server_and_client_auth()
    {
        using var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var issued = ca.Issue(TestPki.Csr(key), Workload);
        using var leaf = Leaf(issued);

        var constraints = Assert.IsType<X509BasicConstraintsExtension>(leaf.Extensions["2.5.29.19"]);
        Assert.False(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        var usage = Assert.IsType<X509KeyUsageExtension>(leaf.Extensions["2.5.29.15"]);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        Assert.True(usage.Critical);
        var eku = Assert.IsType<X509EnhancedKeyUsageExtension>(leaf.Extensions["2.5.29.37"]);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        var rootKeyId = Assert.IsType<X509SubjectKeyIdentifierExtension>(ca.Root.Extensions["2.5.29.14"]).SubjectKeyIdentifierBytes;
        Assert.True(Assert.IsType<X509AuthorityKeyIdentifierExtension>(leaf.Extensions["2.5.29.35"]).KeyIdentifier!.Value.Span.SequenceEqual(rootKeyId.Span));
        Assert.IsType<X509SubjectKeyIdentifierExtension>(leaf.Extensions["2.5.29.14"]);
        Assert.Equal(16, leaf.SerialNumberBytes.Length);
        Assert.Equal(ca.Root.Subject, leaf.Issuer);
        Assert.Equal(Convert.ToHexString(key.ExportSubjectPublicKeyInfo()), Convert.ToHexString(leaf.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void Csr_with_a_bad_signature_is_refused()
    {
        using var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The CSR carries one key but is signed by another: no proof of possession.
        var forged = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256).CreateSigningRequest(X509SignatureGenerator.CreateForECDsa(other));

        Assert.ThrowsAny<CryptographicException>(() => ca.Issue(forged, Workload));
    }

    [Fact]
    public void Csr_in_pem_is_accepted()
    {
        using var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        using var leaf = Leaf(ca.Issue(System.Text.Encoding.ASCII.GetBytes(pem), Workload));

        Assert.Equal(ca.Root.Subject, leaf.Issuer);
    }

    [Fact]
    public void Keys_other_than_p256_or_rsa_2048_are_refused()
    {
        using var ca = Ca();
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa1024 = RSA.Create(1024);
        var smallRsa = new CertificateRequest("O=Weft", rsa1024, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();

        Assert.Contains("P-256", Assert.Throws<ArgumentException>(() => ca.Issue(TestPki.Csr(p384), Workload)).Message);
        Assert.Contains("2048", Assert.Throws<ArgumentException>(() => ca.Issue(smallRsa, Workload)).Message);
    }

    [Fact]
    public void Spiffe_id_of_another_trust_domain_is_refused()
    {
        using var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Throws<ArgumentException>(() => ca.Issue(TestPki.Csr(key), "spiffe://other.domain/ns/shop/sa/checkout"));
    }

    [Fact]
    public void Trust_bundle_holds_the_extra_roots_after_the_signing_one()
    {
        using var old = Ca(new CaOptions { StateDirectory = Path.Combine(_dir.Path, "old") });
        var oldRoot = Path.Combine(_dir.Path, "old", MeshCertificateAuthority.RootCertificateFile);

        using var current = Ca(new CaOptions { ExtraTrustedRootPaths = [oldRoot] });

        Assert.Equal([current.Root.Thumbprint, old.Root.Thumbprint], current.TrustedRoots.Select(r => r.Thumbprint));
        var pem = new X509Certificate2Collection();
        pem.ImportFromPem(current.TrustBundlePem);
        Assert.Equal([current.Root.Thumbprint, old.Root.Thumbprint], pem.Select(r => r.Thumbprint));
    }
}
