using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery.Identity;

namespace Weft.ControlPlane.Tests.Identity;

public sealed class SpiffeValidationTests : IDisposable
{
    private const string Checkout = "spiffe://cluster.local/ns/shop/sa/checkout";
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = FakeClock.AtNow();
    private readonly MeshCertificateAuthority _ca;

    public SpiffeValidationTests()
    {
        _ca = MeshCertificateAuthority.LoadOrCreate(new CaOptions { StateDirectory = Path.Combine(_dir.Path, "current") }, _clock);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Accepts_a_workload_certificate_of_the_mesh_and_reads_its_identity()
    {
        using var leaf = TestPki.IssueWithKey(_ca, Checkout);

        Assert.True(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), Checkout, _clock.GetUtcNow(), out var peer, out var error), error);
        Assert.Equal(Checkout, peer);
        Assert.True(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), null, _clock.GetUtcNow(), out peer, out error), error);
        Assert.Equal(Checkout, peer);
    }

    [Fact]
    public void A_workload_certificate_of_the_mesh_CA_is_fit_for_both_ends_of_a_connection()
    {
        using var leaf = TestPki.IssueWithKey(_ca, Checkout);

        Assert.True(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), Checkout, SvidPurpose.Server, _clock.GetUtcNow(), out var peer, out var error), error);
        Assert.Equal(Checkout, peer);
        Assert.True(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), null, SvidPurpose.Client, _clock.GetUtcNow(), out peer, out error), error);
        Assert.Equal(Checkout, peer);
    }

    [Fact]
    public void Refuses_a_certificate_from_another_ca()
    {
        using var other = MeshCertificateAuthority.LoadOrCreate(new CaOptions(), _clock);
        using var leaf = TestPki.IssueWithKey(other, Checkout);

        Assert.False(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), Checkout, _clock.GetUtcNow(), out var peer, out var error));
        Assert.Null(peer);
        Assert.Contains("does not chain", error);
    }

    [Fact]
    public void Refuses_an_expired_certificate()
    {
        using var leaf = TestPki.IssueWithKey(_ca, Checkout);

        Assert.False(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), Checkout, _clock.GetUtcNow().AddHours(24).AddSeconds(1), out _, out var error));
        Assert.Contains("NotTimeValid", error);
    }

    [Fact]
    public void Refuses_a_certificate_not_yet_valid()
    {
        using var leaf = TestPki.IssueWithKey(_ca, Checkout);

        Assert.False(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), Checkout, _clock.GetUtcNow().AddMinutes(-2), out _, out var error));
        Assert.Contains("NotTimeValid", error);
    }

    [Fact]
    public void Refuses_a_certificate_for_the_wrong_identity()
    {
        using var leaf = TestPki.IssueWithKey(_ca, "spiffe://cluster.local/ns/shop/sa/cart");

        Assert.False(SpiffeValidation.Validate(leaf, TestPki.Bundle(_ca), Checkout, _clock.GetUtcNow(), out var peer, out var error));
        Assert.Null(peer);
        Assert.Contains("not the expected", error);
    }

    [Fact]
    public void Refuses_a_ca_certificate_as_a_workload()
    {
        Assert.False(SpiffeValidation.Validate(_ca.Root, TestPki.Bundle(_ca), null, _clock.GetUtcNow(), out _, out var error));
        Assert.Contains("CA certificate", error);
    }

    [Fact]
    public void Refuses_a_certificate_without_exactly_one_spiffe_uri()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(_clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddDays(1));

        X509Certificate2 LeafWith(params string[] uris)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256);
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                foreach (var uri in uris)
                {
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
                }
            }

            request.CertificateExtensions.Add(new X509Extension("2.5.29.17", writer.Encode(), false));
            return request.Create(root, _clock.GetUtcNow().AddHours(-1), _clock.GetUtcNow().AddHours(1), [1, 2, 3, 4]);
        }

        using var two = LeafWith(Checkout, "spiffe://cluster.local/ns/shop/sa/cart");
        using var notSpiffe = LeafWith("https://checkout.shop");
        using var good = LeafWith(Checkout);

        Assert.False(SpiffeValidation.Validate(two, [root], null, _clock.GetUtcNow(), out _, out var error));
        Assert.Contains("2 URI SANs", error);
        Assert.False(SpiffeValidation.Validate(notSpiffe, [root], null, _clock.GetUtcNow(), out _, out error));
        Assert.Contains("not a SPIFFE ID", error);
        Assert.True(SpiffeValidation.Validate(good, [root], null, _clock.GetUtcNow(), out _, out error), error);
    }

    [Fact]
    public void Trust_bundle_with_two_roots_accepts_leaves_of_both()
    {
        var oldRoot = Path.Combine(_dir.Path, "current", MeshCertificateAuthority.RootCertificateFile);
        using var next = MeshCertificateAuthority.LoadOrCreate(new CaOptions { StateDirectory = Path.Combine(_dir.Path, "next"), ExtraTrustedRootPaths = [oldRoot] }, _clock);
        using var fromOld = TestPki.IssueWithKey(_ca, Checkout);
        using var fromNext = TestPki.IssueWithKey(next, Checkout);

        var bundle = TestPki.Bundle(next);

        Assert.Equal(2, bundle.Count);
        Assert.True(SpiffeValidation.Validate(fromOld, bundle, Checkout, _clock.GetUtcNow(), out _, out var error), error);
        Assert.True(SpiffeValidation.Validate(fromNext, bundle, Checkout, _clock.GetUtcNow(), out _, out error), error);
        Assert.False(SpiffeValidation.Validate(fromNext, TestPki.Bundle(_ca), Checkout, _clock.GetUtcNow(), out _, out _));
    }
}
