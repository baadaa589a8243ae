using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Api;
using Weft.Api.Model;
using Weft.Discovery.Identity;
using Weft.Routing.Policy;

namespace Weft.Proxy.Security;

/// <summary>
/// TLS from the sidecar to a backend it originates TLS for (an XBackend's <c>tls</c>, a BackendTLSPolicy): the app sends
/// plaintext, the wire carries TLS with SNI <see cref="TlsOriginationPolicy.ServerName"/>. The backend's chain is built
/// by the platform under <see cref="ChainPolicy"/> (the policy's roots only, or the system's; a server-auth key usage;
/// nothing downloaded), and its certificate must carry the name the policy asks for. A refusal says which check failed
/// and against what, so that the client's 502 names the ConfigMap to fix.
/// </summary>
internal static class TlsOriginator
{
    /// <summary>id-kp-serverAuth: the certificate must be meant for a TLS server.</summary>
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    // The roots of a policy, parsed once per policy instance (a new discovery answer brings a new instance).
    private static readonly ConditionalWeakTable<TlsOriginationPolicy, X509Certificate2Collection> Roots = [];

    /// <summary>
    /// Authenticates the backend over <paramref name="transport"/>. Throws <see cref="AuthenticationException"/> when
    /// its certificate (or its protocol) is refused and <see cref="IOException"/> when the connection fails under the
    /// handshake, each message starting "TLS to <paramref name="target"/>".
    /// </summary>
    /// <param name="transport">A connected stream to one address of <paramref name="target"/>.</param>
    /// <param name="target">"host:port", for the error.</param>
    /// <param name="policy">The TLS to originate.</param>
    /// <param name="alpn">The one protocol to agree (h2 for HTTP/2 hops, http/1.1), or null for opaque bytes (none offered).</param>
    /// <param name="now">The time certificates are checked at.</param>
    /// <param name="ct">Cancels the handshake.</param>
    public static async Task<SslStream> ConnectAsync(Stream transport, string target, TlsOriginationPolicy policy, SslApplicationProtocol? alpn, DateTimeOffset now, CancellationToken ct)
    {
        string? refused = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = policy.ServerName,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = ChainPolicy(policy, now),
            ApplicationProtocols = alpn is { } protocol ? [protocol] : null,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                refused = Check(certificate as X509Certificate2, chain, errors, policy);
                return refused is null;
            },
        };
        var where = $"TLS to {target} (SNI {policy.ServerName}, {policy.Source})";
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct).ConfigureAwait(false);
            if (alpn is { } wanted && wanted == SslApplicationProtocol.Http2 && ssl.NegotiatedApplicationProtocol != wanted)
            {
                throw new AuthenticationException("the server did not agree to HTTP/2 (ALPN h2); the backend's protocol says it speaks HTTP/2");
            }

            return ssl;
        }
        catch (AuthenticationException e)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException($"{where}: {refused ?? ExceptionText.WithInner(e)}", e);
        }
        catch (IOException e)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"{where}: the connection failed during the handshake: {ExceptionText.WithInner(e)}", e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// How the backend's chain is built: to the policy's CA bundle only (custom root trust), or to the system's roots;
    /// for a TLS server (serverAuth); at <paramref name="now"/>; revocation unchecked and nothing fetched (a server
    /// cannot make the sidecar download from a URL it names).
    /// </summary>
    internal static X509ChainPolicy ChainPolicy(TlsOriginationPolicy policy, DateTimeOffset now)
    {
        var chain = new X509ChainPolicy
        {
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
            VerificationTime = now.UtcDateTime,
            VerificationTimeIgnored = false,
        };
        chain.ApplicationPolicy.Add(ServerAuth);
        if (policy.CaCertificatesPem.Count > 0)
        {
            chain.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.CustomTrustStore.AddRange(Roots.GetValue(policy, static p => Parse(p.CaCertificatesPem)));
        }

        return chain;
    }

    /// <summary>Null when the certificate is acceptable; otherwise why not, in words naming the roots or the names.</summary>
    /// <param name="certificate">The server's certificate.</param>
    /// <param name="chain">The chain the platform built under <see cref="ChainPolicy"/>.</param>
    /// <param name="errors">What the platform found: chain errors are ours to explain; the name check is ours to make.</param>
    /// <param name="policy">The TLS asked for.</param>
    internal static string? Check(X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors, TlsOriginationPolicy policy)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the server sent no certificate";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            var flags = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
            var status = chain is null ? "" : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            var why = (flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0 ? "has expired or is not valid yet"
                : (flags & X509ChainStatusFlags.NotValidForUsage) != 0 ? "is not for a TLS server (its extended key usage)"
                : $"is not signed by {policy.Roots}";
            return $"certificate \"{certificate.Subject}\" (issuer \"{certificate.Issuer}\") {why} ({status})";
        }

        if (policy.SubjectAltNames.Count == 0)
        {
            return certificate.MatchesHostname(policy.ServerName, allowWildcards: true, allowCommonName: false)
                ? null
                : $"certificate \"{certificate.Subject}\" is not for {policy.ServerName} (its names: {Names(certificate)})";
        }

        foreach (var name in policy.SubjectAltNames)
        {
            var carried = name.Type == SubjectAltNameType.Uri
                ? UriNames(certificate).Contains(name.Value, StringComparer.Ordinal)
                : certificate.MatchesHostname(name.Value, allowWildcards: true, allowCommonName: false);
            if (carried)
            {
                return null;
            }
        }

        return $"certificate \"{certificate.Subject}\" carries none of the subjectAltNames {string.Join(", ", policy.SubjectAltNames.Select(n => $"{n.Type} {n.Value}"))} (its names: {Names(certificate)})";
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
