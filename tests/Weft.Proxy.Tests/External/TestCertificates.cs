using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Proxy.Tests.External;

/// <summary>
/// A throw-away CA (a root, or an intermediate signed by another) and server certificates it signs, for TLS origination
/// tests; nothing is written to disk.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates(string name = "Test CA", TestCertificates? issuer = null)
    {
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var (from, to) = (DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        if (issuer is null)
        {
            Ca = request.CreateSelfSigned(from, to);
        }
        else
        {
            using var signed = request.Create(issuer.Ca, from, to.AddMinutes(-1), Serial());
            Ca = signed.CopyWithPrivateKey(_caKey);
        }
    }

    /// <summary>This CA's certificate (with its key).</summary>
    public X509Certificate2 Ca { get; }

    public string CaPem => Ca.ExportCertificatePem();

    /// <summary>
    /// A server certificate (with its key) for the DNS names and URIs given, signed by <see cref="Ca"/>: for a TLS server
    /// unless <paramref name="usage"/> says otherwise, valid from a minute ago for <paramref name="lifetime"/> (12 hours).
    /// </summary>
    public X509Certificate2 Server(string[] dnsNames, string[]? uris = null, Oid? usage = null, TimeSpan? lifetime = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames.FirstOrDefault() ?? "server"}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        foreach (var uri in uris ?? [])
        {
            san.AddUri(new Uri(uri));
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage ?? ServerAuth], false));
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(Ca, now.AddMinutes(-1), now + (lifetime ?? TimeSpan.FromHours(12)), Serial());
        using var withKey = signed.CopyWithPrivateKey(key);

        // Exported and read again so that SslStream on Linux can use the key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
    }

    private static byte[] Serial()
    {
        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        return serial;
    }
}
