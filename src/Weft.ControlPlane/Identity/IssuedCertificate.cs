namespace Weft.ControlPlane.Identity;

/// <summary>A workload certificate the <see cref="MeshCertificateAuthority"/> signed.</summary>
/// <param name="CertificateDer">The leaf (DER).</param>
/// <param name="TrustBundleDer">Every trusted root (DER), the signing one first.</param>
/// <param name="SpiffeId">The leaf's only URI SAN.</param>
/// <param name="SerialNumber">The leaf's serial, hexadecimal.</param>
/// <param name="NotBefore">The start of the leaf's validity.</param>
/// <param name="NotAfter">The end of the leaf's validity.</param>
public sealed record IssuedCertificate(
    byte[] CertificateDer,
    IReadOnlyList<byte[]> TrustBundleDer,
    string SpiffeId,
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter);
