using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>A self-signed ECDSA P-256 CA made at start, and the serving certificate it signs for 127.0.0.1 and the in-cluster names.</summary>
internal sealed class CertificateAuthority : IDisposable
{
    private CertificateAuthority(X509Certificate2 authority, X509Certificate2 serving)
    {
        Authority = authority;
        Serving = serving;
    }

    public X509Certificate2 Authority { get; }

    /// <summary>The serving certificate with its private key.</summary>
    public X509Certificate2 Serving { get; }

    public string AuthorityPem => Authority.ExportCertificatePem() + "\n";

    public static CertificateAuthority Create(DateTimeOffset now)
    {
        var notBefore = now.AddHours(-1);
        var notAfter = now.AddDays(7);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=weft-kube-apiserver-standin-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var authority = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kube-apiserver", servingKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        foreach (var dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" })
        {
            names.AddDnsName(dns);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(authority, notBefore, notAfter, serial);
        using var withKey = signed.CopyWithPrivateKey(servingKey);

        // Through PKCS#12 so the key is usable by SslStream on every platform, not only as an ephemeral handle.
        var serving = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new CertificateAuthority(X509CertificateLoader.LoadCertificate(authority.RawData), serving);
    }

    public void Dispose()
    {
        Authority.Dispose();
        Serving.Dispose();
    }
}
