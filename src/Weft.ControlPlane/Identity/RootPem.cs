namespace Weft.ControlPlane.Identity;

/// <summary>A root certificate and its private key (PKCS#8, SEC1 or PKCS#1), as PEM text.</summary>
public sealed record RootPem(string CertificatePem, string KeyPem)
{
    public override string ToString() => "RootPem { key hidden }";
}
