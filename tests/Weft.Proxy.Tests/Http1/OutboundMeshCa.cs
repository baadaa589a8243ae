using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Discovery.Identity;

namespace Weft.Proxy.Tests.Http1;

/// <summary>
/// A throwaway mesh root for mTLS tests: issues X.509-SVIDs (ECDSA P-256, one SPIFFE URI SAN, not a CA, server and
/// client auth) for service accounts of trust domain cluster.local, as fixed sidecar identities
/// (<see cref="ProxyOptions.Identity"/>).
/// </summary>
public sealed class OutboundMeshCa : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _root;
    private readonly List<IDisposable> _issued = [];

    public OutboundMeshCa()
    {
        var request = new CertificateRequest("CN=weft test root", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        _root = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
    }

    public static string SpiffeId(string serviceAccount) => $"spiffe://cluster.local/ns/default/sa/{serviceAccount}";

    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// The identity of a workload running as <paramref name="serviceAccount"/>, trusting this root only; its extended key
    /// usages are <paramref name="purposes"/> (server and client auth, as the mesh CA issues, when none are given).
    /// </summary>
    public IdentitySnapshot Issue(string serviceAccount, params string[] purposes) => IssueFor(SpiffeId(serviceAccount), purposes);

    /// <summary>An identity naming <paramref name="id"/> (any SPIFFE ID, e.g. the control plane's), as <see cref="Issue"/>.</summary>
    public IdentitySnapshot IssueFor(string id, params string[] purposes)
    {
        string[] usages = purposes.Length == 0 ? [ServerAuth, ClientAuth] : purposes;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages.Select(p => new Oid(p))], critical: false));
        request.CertificateExtensions.Add(UriSan(id));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive, no leading zero byte
        using var leaf = request.Create(_root, now.AddMinutes(-5), now.AddHours(1), serial);
        var withKey = leaf.CopyWithPrivateKey(key);
        var bundle = new X509Certificate2Collection { X509CertificateLoader.LoadCertificate(_root.RawData) };
        _issued.Add(withKey);
        _issued.Add(bundle[0]);
        return new IdentitySnapshot(withKey, bundle, id, now.AddHours(1), now.AddMinutes(50));
    }

    public void Dispose()
    {
        foreach (var issued in _issued)
        {
            issued.Dispose();
        }

        _root.Dispose();
        _key.Dispose();
    }

    /// <summary>The SAN extension with one URI, the SPIFFE ID verbatim (SubjectAlternativeNameBuilder would normalise it through System.Uri).</summary>
    private static X509Extension UriSan(string uri)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }
}
