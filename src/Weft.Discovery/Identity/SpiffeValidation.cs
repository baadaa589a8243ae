using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Discovery.Identity;

/// <summary>
/// Validates a peer's X.509-SVID (SPIFFE X509-SVID specification): it chains to one of the trust bundle's roots at the
/// given time (no revocation, no downloads, no system roots), is not a CA, and names exactly one URI SAN, a SPIFFE ID,
/// equal to the expected one when one is expected. Made for <c>RemoteCertificateValidationCallback</c>, on both sides
/// of an mTLS connection: the callback's own chain and policy errors are not trusted, this builds its own chain.
/// </summary>
public static class SpiffeValidation
{
    private static readonly Asn1Tag UriName = new(TagClass.ContextSpecific, 6);

    /// <summary>
    /// Validates a peer's certificate for one end of a connection: as <see cref="Validate(X509Certificate2?, X509Certificate2Collection, string?, DateTimeOffset, out string?, out string)"/>,
    /// and it must carry the extended key usage of <paramref name="purpose"/> (RFC 5280 4.2.1.12): a client's clientAuth,
    /// a server's serverAuth, so a certificate issued for one role cannot act the other.
    /// </summary>
    public static bool Validate(
        X509Certificate2? peer,
        X509Certificate2Collection trustBundle,
        string? expectedSpiffeId,
        SvidPurpose purpose,
        DateTimeOffset now,
        out string? peerSpiffeId,
        out string error)
    {
        if (!Validate(peer, trustBundle, expectedSpiffeId, now, out peerSpiffeId, out error))
        {
            return false;
        }

        var (oid, name) = purpose == SvidPurpose.Client ? (Oids.ClientAuth, "clientAuth") : (Oids.ServerAuth, "serverAuth");
        if (peer!.Extensions[Oids.ExtendedKeyUsage] is X509EnhancedKeyUsageExtension usage
            && usage.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(u => u.Value == oid))
        {
            return true;
        }

        error = $"the certificate of '{peerSpiffeId}' lacks the {name} extended key usage its role as the {(purpose == SvidPurpose.Client ? "client" : "server")} needs";
        peerSpiffeId = null;
        return false;
    }

    /// <summary>
    /// Validates a certificate without regard to its extended key usage: a workload's own certificate as it arrives, say.
    /// A peer's is validated for its role, with <see cref="SvidPurpose"/>.
    /// </summary>
    public static bool Validate(
        X509Certificate2? peer,
        X509Certificate2Collection trustBundle,
        string? expectedSpiffeId,
        DateTimeOffset now,
        out string? peerSpiffeId,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(trustBundle);
        peerSpiffeId = null;
        if (peer is null)
        {
            error = "the peer presented no certificate";
            return false;
        }

        if (trustBundle.Count == 0)
        {
            error = "the trust bundle is empty";
            return false;
        }

        if (peer.Extensions[Oids.BasicConstraints] is X509BasicConstraintsExtension { CertificateAuthority: true })
        {
            error = $"the peer's certificate '{peer.Subject}' is a CA certificate, not a workload certificate";
            return false;
        }

        if (!TryReadSpiffeId(peer, out var id, out error))
        {
            return false;
        }

        if (!ChainsTo(peer, trustBundle, now, out var problems))
        {
            error = $"the certificate of '{id}' does not chain to the trust bundle at {now:O}: {problems}";
            return false;
        }

        if (expectedSpiffeId is not null && !string.Equals(id, expectedSpiffeId, StringComparison.Ordinal))
        {
            error = $"the peer is '{id}', not the expected '{expectedSpiffeId}'";
            return false;
        }

        peerSpiffeId = id;
        error = "";
        return true;
    }

    /// <summary>
    /// Whether <paramref name="leaf"/> chains to one of <paramref name="roots"/> (and only those) at <paramref name="now"/>,
    /// revocation unchecked, nothing downloaded; <paramref name="problems"/> says why not.
    /// </summary>
    internal static bool ChainsTo(X509Certificate2 leaf, X509Certificate2Collection roots, DateTimeOffset now, out string problems)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        try
        {
            var built = chain.Build(leaf);
            problems = built ? "" : string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}").Distinct());
            return built;
        }
        finally
        {
            // The elements are copies; the caller's leaf and roots stay theirs.
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, leaf) && !roots.Contains(element.Certificate))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }

    /// <summary>The SPIFFE ID in the certificate's only URI SAN.</summary>
    public static bool TryReadSpiffeId(X509Certificate2 certificate, out string spiffeId, out string error)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        spiffeId = "";
        var uris = new List<string>();
        try
        {
            foreach (var extension in certificate.Extensions)
            {
                if (extension.Oid?.Value == Oids.SubjectAlternativeName)
                {
                    ReadUris(extension.RawData, uris);
                }
            }
        }
        catch (AsnContentException e)
        {
            error = $"the certificate's subject alternative names are malformed: {e.Message}";
            return false;
        }

        if (uris.Count != 1)
        {
            error = $"the certificate has {uris.Count} URI SANs; an X509-SVID has exactly one";
            return false;
        }

        if (!SpiffeId.IsValid(uris[0]))
        {
            error = $"the certificate's URI SAN '{uris[0]}' is not a SPIFFE ID";
            return false;
        }

        spiffeId = uris[0];
        error = "";
        return true;
    }

    /// <summary>The URIs named by a subjectAlternativeName extension's value (a CSR's requested names, say).</summary>
    public static IReadOnlyList<string> UriNames(X509Extension subjectAlternativeName)
    {
        ArgumentNullException.ThrowIfNull(subjectAlternativeName);
        var uris = new List<string>();
        ReadUris(subjectAlternativeName.RawData, uris);
        return uris;
    }

    // GeneralNames ::= SEQUENCE OF GeneralName; uniformResourceIdentifier [6] IMPLICIT IA5String (RFC 5280 4.2.1.6).
    private static void ReadUris(byte[] extensionValue, List<string> uris)
    {
        var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        while (names.HasData)
        {
            if (names.PeekTag() == UriName)
            {
                uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriName));
            }
            else
            {
                names.ReadEncodedValue();
            }
        }
    }
}
