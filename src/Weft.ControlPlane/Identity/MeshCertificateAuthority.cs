using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Weft.Discovery.Identity;

namespace Weft.ControlPlane.Identity;

/// <summary>
/// The mesh CA (DESIGN decision 4): one root, generated on first start and persisted or loaded from files the user
/// provides, that signs short-lived X.509-SVIDs for workloads' own keys. A CSR only contributes its public key: the
/// identity comes from the caller (the token's claims), never from the names or extensions the CSR asks for.
/// </summary>
public sealed class MeshCertificateAuthority : IDisposable
{
    public const string RootCertificateFile = "ca.crt";
    public const string RootKeyFile = "ca.key";

    /// <summary>A CSR is a public key and a signature: anything larger is not one.</summary>
    private const int MaxCsrBytes = 16 * 1024;

    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private readonly X509Certificate2 _root;
    private readonly AsymmetricAlgorithm _rootKey;
    private readonly X509SignatureGenerator _signer;
    private readonly HashAlgorithmName _hash;
    private readonly X509AuthorityKeyIdentifierExtension _authorityKeyId;
    private readonly CaOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[][] _bundleDer;

    private MeshCertificateAuthority(X509Certificate2 root, AsymmetricAlgorithm rootKey, IReadOnlyList<X509Certificate2> extraRoots, CaOptions options, TimeProvider time)
    {
        _root = root;
        _rootKey = rootKey;
        _options = options;
        _time = time;
        (_signer, _hash) = rootKey switch
        {
            ECDsa ec => (X509SignatureGenerator.CreateForECDsa(ec), ec.KeySize switch { > 384 => HashAlgorithmName.SHA512, > 256 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA256 }),
            RSA rsa => (X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256),
            _ => throw new NotSupportedException($"a root key of type {rootKey.GetType().Name} is not supported"),
        };
        _authorityKeyId = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, includeKeyIdentifier: true, includeIssuerAndSerial: false);
        TrustedRoots = [X509CertificateLoader.LoadCertificate(root.RawData), .. extraRoots];
        _bundleDer = [.. TrustedRoots.Select(r => r.RawData)];
        TrustBundlePem = string.Concat(TrustedRoots.Select(r => r.ExportCertificatePem() + "\n"));
    }

    /// <summary>The root that signs (public part only).</summary>
    public X509Certificate2 Root => TrustedRoots[0];

    /// <summary>Every root a workload should trust: <see cref="Root"/> first, then <see cref="CaOptions.ExtraTrustedRootPaths"/>'.</summary>
    public IReadOnlyList<X509Certificate2> TrustedRoots { get; }

    /// <summary><see cref="TrustedRoots"/> as concatenated PEM.</summary>
    public string TrustBundlePem { get; }

    public string TrustDomain => _options.TrustDomain;

    /// <summary>
    /// The user's root when <see cref="CaOptions.RootCertPath"/> and <see cref="CaOptions.RootKeyPath"/> are set; else the
    /// root persisted in <see cref="CaOptions.StateDirectory"/>, generated there on first start; else a root in memory.
    /// </summary>
    public static MeshCertificateAuthority LoadOrCreate(CaOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (!SpiffeId.IsValid(SpiffeId.Scheme + options.TrustDomain))
        {
            throw new ArgumentException($"'{options.TrustDomain}' is not a valid SPIFFE trust domain (lower-case letters, digits, '.', '-', '_').", nameof(options));
        }

        if (options.WorkloadLifetime <= TimeSpan.Zero || options.RootLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("WorkloadLifetime and RootLifetime must be positive.", nameof(options));
        }

        var extraRoots = options.ExtraTrustedRootPaths.SelectMany(LoadRoots).ToList();
        var (root, key) = LoadOrCreateRoot(options, time);
        try
        {
            return new MeshCertificateAuthority(root, key, extraRoots, options, time);
        }
        catch
        {
            root.Dispose();
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Signs a workload certificate for the key of <paramref name="csr"/> (PKCS#10, DER or PEM), whose signature must
    /// verify, naming <paramref name="spiffeId"/> and nothing the CSR asks for. Throws <see cref="CryptographicException"/>
    /// for a CSR that does not parse or verify, <see cref="ArgumentException"/> for a key of an accepted kind.
    /// </summary>
    /// <param name="csr">The certificate signing request, PKCS#10, DER or PEM.</param>
    /// <param name="spiffeId">The SPIFFE ID the certificate names, its only URI SAN.</param>
    /// <param name="notAfterLimit">The latest the certificate may be valid until (the token's expiry); null: no limit but the root's.</param>
    public IssuedCertificate Issue(ReadOnlySpan<byte> csr, string spiffeId, DateTimeOffset? notAfterLimit = null)
    {
        if (!SpiffeId.TryGetTrustDomain(spiffeId, out var trustDomain) || trustDomain != _options.TrustDomain)
        {
            throw new ArgumentException($"'{spiffeId}' is not a SPIFFE ID of trust domain '{_options.TrustDomain}'.", nameof(spiffeId));
        }

        if (csr.Length > MaxCsrBytes)
        {
            throw new CryptographicException($"the certification request is {csr.Length} bytes; at most {MaxCsrBytes} are accepted");
        }

        // Default load options verify the CSR's signature (proof of possession) and drop its requested extensions.
        CertificateRequest request;
        if (csr.StartsWith("-----BEGIN"u8))
        {
            request = CertificateRequest.LoadSigningRequestPem(Encoding.ASCII.GetString(csr), _hash);
        }
        else
        {
            request = CertificateRequest.LoadSigningRequest(csr, _hash, out var consumed);
            if (consumed != csr.Length)
            {
                throw new CryptographicException($"{csr.Length - consumed} bytes follow the certification request");
            }
        }

        CheckRequestedNames(csr, spiffeId);
        var publicKey = request.PublicKey;
        var keyUsage = CheckWorkloadKey(publicKey);

        var now = _time.GetUtcNow();
        var rootNotAfter = new DateTimeOffset(_root.NotAfter.ToUniversalTime());
        if (now >= rootNotAfter)
        {
            throw new InvalidOperationException($"the mesh root expired at {rootNotAfter:O}; rotate it");
        }

        var notBefore = now - ClockSkew;
        var notAfter = now + _options.WorkloadLifetime;
        if (notAfter > rootNotAfter)
        {
            notAfter = rootNotAfter;
        }

        if (notAfterLimit is { } limit && notAfter > limit)
        {
            if (limit <= now)
            {
                throw new ArgumentException($"the credential expired at {limit:O}");
            }

            notAfter = limit;
        }

        var leaf = new CertificateRequest(new X500DistinguishedName("O=Weft"), publicKey, _hash);
        leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        leaf.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, critical: true));
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(Oids.ServerAuth), new Oid(Oids.ClientAuth)], critical: false));
        leaf.CertificateExtensions.Add(UriSubjectAlternativeName(spiffeId));
        leaf.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, critical: false));
        leaf.CertificateExtensions.Add(_authorityKeyId);

        using var certificate = leaf.Create(_root.SubjectName, _signer, notBefore, notAfter, NewSerialNumber());
        return new IssuedCertificate(
            certificate.RawData,
            _bundleDer,
            spiffeId,
            certificate.SerialNumber,
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime()),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    public void Dispose()
    {
        _root.Dispose();
        _rootKey.Dispose();
        foreach (var root in TrustedRoots)
        {
            root.Dispose();
        }
    }

    /// <summary>
    /// A CSR that names an identity (a URI SAN) other than the one the caller proved is a forgery attempt, and refused;
    /// one that names none, or the same, gets the caller's identity (the names themselves are never copied).
    /// </summary>
    private void CheckRequestedNames(ReadOnlySpan<byte> csr, string spiffeId)
    {
        var options = CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions;
        var request = csr.StartsWith("-----BEGIN"u8)
            ? CertificateRequest.LoadSigningRequestPem(Encoding.ASCII.GetString(csr), _hash, options)
            : CertificateRequest.LoadSigningRequest(csr, _hash, out _, options);
        foreach (var extension in request.CertificateExtensions)
        {
            if (extension.Oid?.Value != Oids.SubjectAlternativeName)
            {
                continue;
            }

            IReadOnlyList<string> uris;
            try
            {
                uris = SpiffeValidation.UriNames(extension);
            }
            catch (AsnContentException e)
            {
                throw new CryptographicException($"the certification request's subject alternative names are malformed: {e.Message}");
            }

            if (uris.FirstOrDefault(u => u != spiffeId) is { } other)
            {
                throw new ArgumentException($"the certification request asks for identity {other}, but the token proves {spiffeId}");
            }
        }
    }

    /// <summary>ECDSA P-256 (DESIGN decision 4), or RSA of 2048 bits or more for workloads that cannot do ECDSA.</summary>
    private static X509KeyUsageFlags CheckWorkloadKey(PublicKey publicKey)
    {
        using (var ec = publicKey.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                var curve = ec.ExportParameters(false).Curve;
                if (curve.IsNamed && curve.Oid.Value == Oids.NistP256)
                {
                    return X509KeyUsageFlags.DigitalSignature;
                }

                throw new ArgumentException($"an ECDSA key must be on P-256, not {curve.Oid.FriendlyName ?? curve.Oid.Value ?? "an explicit curve"}.", nameof(publicKey));
            }
        }

        using (var rsa = publicKey.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return rsa.KeySize >= 2048
                    ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment
                    : throw new ArgumentException($"an RSA key must have at least 2048 bits, not {rsa.KeySize}.", nameof(publicKey));
            }
        }

        throw new ArgumentException($"a key of algorithm {publicKey.Oid.FriendlyName ?? publicKey.Oid.Value} is not accepted; use ECDSA P-256.", nameof(publicKey));
    }

    private static X509Extension UriSubjectAlternativeName(string uri)
    {
        // SubjectAlternativeNameBuilder escapes and normalises through System.Uri; an X509-SVID's URI SAN must be the ID verbatim.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return new X509Extension(Oids.SubjectAlternativeName, writer.Encode(), critical: false);
    }

    /// <summary>16 random bytes (RFC 5280 allows 20), positive and without a leading zero byte.</summary>
    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    /// <summary>A new root as <see cref="LoadOrCreate"/> would make it, as PEM (for a store such as a Kubernetes Secret).</summary>
    public static RootPem CreateRootPem(CaOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (root, key) = CreateRoot(options, time);
        using (root)
        using (key)
        {
            return new RootPem(root.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
        }
    }

    /// <summary>
    /// A TLS server certificate for the control plane itself (its discovery port), with its private key: DNS and IP
    /// names as given, signed by the root, so that sidecars verify it with the trust bundle they already have.
    /// </summary>
    public X509Certificate2 IssueServingCertificate(IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<System.Net.IPAddress> addresses, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        if (dnsNames.Count == 0 && addresses.Count == 0)
        {
            throw new ArgumentException("a serving certificate needs at least one DNS name or address.", nameof(dnsNames));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("O=Weft, CN=" + (dnsNames.FirstOrDefault() ?? addresses.First().ToString())), key, _hash);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(Oids.ServerAuth)], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            names.AddDnsName(dns);
        }

        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(_authorityKeyId);
        var now = _time.GetUtcNow();
        var rootNotAfter = new DateTimeOffset(_root.NotAfter.ToUniversalTime());
        var notAfter = now + lifetime < rootNotAfter ? now + lifetime : rootNotAfter;
        using var certificate = request.Create(_root.SubjectName, _signer, now - ClockSkew, notAfter, NewSerialNumber());
        using var withKey = certificate.CopyWithPrivateKey(key);

        // Kestrel on Linux needs the key in an exportable form it can hand to OpenSSL: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static (X509Certificate2 Root, AsymmetricAlgorithm Key) LoadOrCreateRoot(CaOptions options, TimeProvider time)
    {
        if (options.Root is { } pem)
        {
            return LoadRootPem(pem.CertificatePem, pem.KeyPem, "the mesh root", time);
        }

        if (options.RootCertPath is not null || options.RootKeyPath is not null)
        {
            if (options.RootCertPath is null || options.RootKeyPath is null)
            {
                throw new ArgumentException("RootCertPath and RootKeyPath go together: give both or neither.", nameof(options));
            }

            return LoadRoot(options.RootCertPath, options.RootKeyPath, time);
        }

        if (options.StateDirectory is not { } state)
        {
            return CreateRoot(options, time);
        }

        var certPath = Path.Combine(state, RootCertificateFile);
        var keyPath = Path.Combine(state, RootKeyFile);
        var (hasCert, hasKey) = (File.Exists(certPath), File.Exists(keyPath));
        if (hasCert && hasKey)
        {
            return LoadRoot(certPath, keyPath, time);
        }

        if (hasCert || hasKey)
        {
            throw new InvalidOperationException($"{state} has only one of {RootCertificateFile} and {RootKeyFile}; restore the other, or remove it to make a new root.");
        }

        var (root, key) = CreateRoot(options, time);
        IdentityFiles.WriteAtomically(keyPath, Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()), secret: true);
        IdentityFiles.WriteAtomically(certPath, Encoding.ASCII.GetBytes(root.ExportCertificatePem()), secret: false);
        return (root, key);
    }

    private static (X509Certificate2, AsymmetricAlgorithm) CreateRoot(CaOptions options, TimeProvider time)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            // The hash of the key tells two roots apart in logs and trust stores during a rotation.
            var tag = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 4));
            var subject = new X500DistinguishedNameBuilder();
            subject.AddOrganizationName("Weft");
            subject.AddCommonName($"Weft Mesh Root CA {tag}");
            var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
            var now = time.GetUtcNow();
            using var withKey = request.CreateSelfSigned(now - ClockSkew, now + options.RootLifetime);
            return (X509CertificateLoader.LoadCertificate(withKey.RawData), key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static (X509Certificate2, AsymmetricAlgorithm) LoadRoot(string certPath, string keyPath, TimeProvider time) =>
        LoadRootPem(File.ReadAllText(certPath), File.ReadAllText(keyPath), certPath, time);

    private static (X509Certificate2, AsymmetricAlgorithm) LoadRootPem(string certPem, string keyPem, string certPath, TimeProvider time)
    {
        var root = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(certPem).RawData);
        AsymmetricAlgorithm key;
        if (root.GetKeyAlgorithm() == "1.2.840.10045.2.1")
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(keyPem);
            key = ec;
        }
        else
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(keyPem);
            key = rsa;
        }

        try
        {
            CheckRoot(root, key, certPath, time);
            return (root, key);
        }
        catch
        {
            root.Dispose();
            key.Dispose();
            throw;
        }
    }

    private static void CheckRoot(X509Certificate2 root, AsymmetricAlgorithm key, string certPath, TimeProvider time)
    {
        if (root.Extensions[Oids.BasicConstraints] is not X509BasicConstraintsExtension { CertificateAuthority: true })
        {
            throw new InvalidOperationException($"{certPath} is not a CA certificate (basicConstraints CA:true).");
        }

        if (root.Extensions[Oids.KeyUsage] is X509KeyUsageExtension usage && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            throw new InvalidOperationException($"{certPath} may not sign certificates (keyUsage lacks keyCertSign).");
        }

        var publicKey = root.PublicKey.ExportSubjectPublicKeyInfo();
        var privatesPublic = key switch
        {
            ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
            RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
            _ => [],
        };
        if (!publicKey.AsSpan().SequenceEqual(privatesPublic))
        {
            throw new InvalidOperationException($"the root key does not belong to {certPath}.");
        }

        if (time.GetUtcNow() >= root.NotAfter.ToUniversalTime())
        {
            throw new InvalidOperationException($"the mesh root {certPath} expired at {root.NotAfter.ToUniversalTime():O}; rotate it.");
        }
    }

    private static IEnumerable<X509Certificate2> LoadRoots(string path)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(path);
        if (roots.Count == 0)
        {
            throw new InvalidOperationException($"{path} holds no PEM certificate.");
        }

        return roots;
    }
}
