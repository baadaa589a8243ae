using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.ControlPlane.Identity;

namespace Weft.ControlPlane.Tests.Support;

/// <summary>Workload keys, CSRs and issued certificates with their keys, as a proxy would make them.</summary>
internal static class TestPki
{
    public static byte[] Csr(ECDsa key, string subject = "O=Weft", Action<CertificateRequest>? ask = null)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        ask?.Invoke(request);
        return request.CreateSigningRequest();
    }

    public static X509Certificate2 IssueWithKey(MeshCertificateAuthority ca, string spiffeId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = ca.Issue(Csr(key), spiffeId);
        using var leaf = X509CertificateLoader.LoadCertificate(issued.CertificateDer);
        return leaf.CopyWithPrivateKey(key);
    }

    public static X509Certificate2Collection Bundle(MeshCertificateAuthority ca) => [.. ca.TrustedRoots];
}
