using System.Security.Cryptography.X509Certificates;
using Weft.ControlPlane.Identity;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// The discovery server's TLS certificate, issued by the mesh CA for <see cref="ServingIdentity"/>'s names and replaced
/// by a new one once half its lifetime has passed (Kestrel asks for it at every handshake), so it never expires while
/// the control plane runs.
/// </summary>
internal sealed class ServingCertificate(MeshCertificateAuthority ca, ServingIdentity identity, TimeProvider time)
{
    private readonly Lock _gate = new();
    private X509Certificate2? _current;
    private DateTimeOffset _renewAt;

    public X509Certificate2 Current
    {
        get
        {
            var now = time.GetUtcNow();
            lock (_gate)
            {
                if (_current is null || now >= _renewAt)
                {
                    // The previous certificate is not disposed: handshakes in flight may still be using it.
                    _current = ca.IssueServingCertificate(identity.DnsNames, identity.Addresses, identity.Lifetime);
                    var notBefore = new DateTimeOffset(_current.NotBefore.ToUniversalTime());
                    var notAfter = new DateTimeOffset(_current.NotAfter.ToUniversalTime());
                    _renewAt = notBefore + ((notAfter - notBefore) / 2);
                    if (_renewAt < now + TimeSpan.FromMinutes(1))
                    {
                        // A lifetime cut short by the root's own expiry: not a new certificate per handshake.
                        _renewAt = now + TimeSpan.FromMinutes(1);
                    }
                }

                return _current;
            }
        }
    }
}
