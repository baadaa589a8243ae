using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Weft.KubeApi.StandIn.Tests.Infrastructure;

/// <summary>A test CA made with System.Security.Cryptography, and serving certificates it issues for DNS names.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _key;

    private TestCertificates(ECDsa key, X509Certificate2 authority)
    {
        _key = key;
        Authority = authority;
    }

    public X509Certificate2 Authority { get; }

    /// <summary>The CA as a webhook's <c>clientConfig.caBundle</c>: base64 of its PEM.</summary>
    public string CaBundle => Convert.ToBase64String(Encoding.ASCII.GetBytes(Authority.ExportCertificatePem() + "\n"));

    public static TestCertificates CreateAuthority(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new TestCertificates(key, request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1)));
    }

    /// <summary>A serving certificate (with its key) for <paramref name="dnsName"/>, signed by this CA.</summary>
    public X509Certificate2 Issue(string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsName, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(Authority, now.AddHours(-1), Authority.NotAfter.ToUniversalTime().AddMinutes(-1), RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Authority.Dispose();
        _key.Dispose();
    }
}
