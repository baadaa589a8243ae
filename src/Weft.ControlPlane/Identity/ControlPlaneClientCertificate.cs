using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Discovery.Tap;

namespace Weft.ControlPlane.Identity;

/// <summary>
/// The control plane's own client certificate for calling sidecars (issue 16's tap): an X.509-SVID naming
/// <see cref="TapWire.ControlPlaneIdentity"/>, signed by the mesh CA for a key that never leaves this process, renewed
/// when half its life is spent. No workload can hold that ID: the CA names workloads <c>/ns/…/sa/…</c> from their tokens.
/// </summary>
internal sealed class ControlPlaneClientCertificate(MeshCertificateAuthority ca, TimeProvider time) : IDisposable
{
    private readonly Lock _gate = new();
    private X509Certificate2? _current;
    private DateTimeOffset _renewAt;

    public string SpiffeId => TapWire.ControlPlaneIdentity(ca.TrustDomain);

    /// <summary>The certificate with its private key, issued or renewed as needed.</summary>
    public X509Certificate2 Current
    {
        get
        {
            lock (_gate)
            {
                if (_current is null || time.GetUtcNow() >= _renewAt)
                {
                    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                    var csr = new CertificateRequest("O=Weft", key, HashAlgorithmName.SHA256).CreateSigningRequest();
                    var issued = ca.Issue(csr, SpiffeId);
                    using var leaf = X509CertificateLoader.LoadCertificate(issued.CertificateDer);
                    using var withKey = leaf.CopyWithPrivateKey(key);
                    // SslStream on Linux needs a key it can hand to OpenSSL: round-trip through PKCS#12.
                    var next = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
                    _current?.Dispose();
                    _current = next;
                    _renewAt = issued.NotBefore + ((issued.NotAfter - issued.NotBefore) / 2);
                }

                return _current;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current?.Dispose();
            _current = null;
        }
    }
}
