using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Weft.Discovery.Identity;
using Weft.Routing.Policy;

namespace Weft.Proxy.Security;

/// <summary>
/// TLS from the sidecar to a backend outside the mesh (XBackend <c>tls</c>): the app sends plaintext, the wire carries
/// TLS with SNI <see cref="TlsOriginationPolicy.ServerName"/>, and the backend's certificate must chain to the policy's
/// roots (its ConfigMaps' bundle, or the system's) and carry the name the policy asks for. A refusal says which check
/// failed and against what, so that the client's 502 names the ConfigMap to fix.
/// </summary>
internal static class TlsOriginator
{
    // The roots of a policy, parsed once per policy instance (a new discovery answer brings a new instance).
    private static readonly ConditionalWeakTable<TlsOriginationPolicy, X509Certificate2Collection> Roots = [];

    /// <summary>Authenticates the backend over <paramref name="transport"/>; throws <see cref="AuthenticationException"/> saying why not.</summary>
    /// <param name="transport">A connected stream to one address of <paramref name="target"/>.</param>
    /// <param name="target">"host:port", for the error.</param>
    /// <param name="policy">The TLS to originate.</param>
    /// <param name="alpn">The one protocol to agree (h2 for HTTP/2 hops, http/1.1), or null for opaque bytes (none offered).</param>
    /// <param name="now">The time certificates are checked at.</param>
    /// <param name="ct">Cancels the handshake.</param>
    public static async Task<SslStream> ConnectAsync(Stream transport, string target, TlsOriginationPolicy policy, SslApplicationProtocol? alpn, DateTimeOffset now, CancellationToken ct)
    {
        var roots = policy.CaCertificatesPem.Count == 0 ? null : Roots.GetValue(policy, static p => Parse(p.CaCertificatesPem));
        string? refused = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = policy.ServerName,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            ApplicationProtocols = alpn is { } protocol ? [protocol] : null,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                refused = Check(certificate as X509Certificate2, chain, errors, policy, roots, now);
                return refused is null;
            },
        };
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct).ConfigureAwait(false);
            if (alpn is { } wanted && wanted == SslApplicationProtocol.Http2 && ssl.NegotiatedApplicationProtocol != wanted)
            {
                throw new AuthenticationException($"the server did not agree to HTTP/2 (ALPN h2); give the XBackend protocol HTTP11 or none");
            }

            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException($"TLS to {target} (SNI {policy.ServerName}, {policy.Source}): {refused ?? e.Message}", e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Null when the certificate is acceptable; otherwise why not, in words naming the roots or the names.</summary>
    internal static string? Check(X509Certificate2? certificate, X509Chain? presented, SslPolicyErrors errors, TlsOriginationPolicy policy, X509Certificate2Collection? roots, DateTimeOffset now)
    {
        if (certificate is null)
        {
            return "the server sent no certificate";
        }

        if (roots is null)
        {
            // The system's roots: the platform's own chain check.
            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                var status = presented is null ? "" : string.Join("; ", presented.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
                return $"certificate \"{certificate.Subject}\" is not signed by {policy.Roots} ({status})";
            }
        }
        else if (!ChainsTo(certificate, presented, roots, now, out var problems))
        {
            return $"certificate \"{certificate.Subject}\" (issuer \"{certificate.Issuer}\") is not signed by {policy.Roots} ({problems})";
        }

        if (policy.SubjectAltNames.Count == 0)
        {
            return certificate.MatchesHostname(policy.ServerName, allowWildcards: true, allowCommonName: false)
                ? null
                : $"certificate \"{certificate.Subject}\" is not for {policy.ServerName} (its names: {Names(certificate)})";
        }

        foreach (var name in policy.SubjectAltNames)
        {
            if (name.Type == "URI" ? UriNames(certificate).Contains(name.Value, StringComparer.Ordinal) : certificate.MatchesHostname(name.Value, allowWildcards: true, allowCommonName: false))
            {
                return null;
            }
        }

        return $"certificate \"{certificate.Subject}\" carries none of the subjectAltNames {string.Join(", ", policy.SubjectAltNames.Select(n => $"{n.Type} {n.Value}"))} (its names: {Names(certificate)})";
    }

    private static bool ChainsTo(X509Certificate2 leaf, X509Chain? presented, X509Certificate2Collection roots, DateTimeOffset now, out string problems)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;

        // Intermediates the server sent help build the path; they are never trusted as roots.
        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var built = chain.Build(leaf);
        problems = built ? "" : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
        return built;
    }

    private static IReadOnlyList<string> UriNames(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension)
            {
                try
                {
                    return SpiffeValidation.UriNames(extension);
                }
                catch (System.Formats.Asn1.AsnContentException)
                {
                    return [];
                }
            }
        }

        return [];
    }

    private static string Names(X509Certificate2 certificate)
    {
        var dns = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).Select(n => "DNS " + n);
        var all = dns.Concat(UriNames(certificate).Select(u => "URI " + u)).ToList();
        return all.Count == 0 ? "none" : string.Join(", ", all);
    }

    private static X509Certificate2Collection Parse(IReadOnlyList<string> pems)
    {
        var roots = new X509Certificate2Collection();
        foreach (var pem in pems)
        {
            roots.ImportFromPem(pem);
        }

        return roots;
    }
}
