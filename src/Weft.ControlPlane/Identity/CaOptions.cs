namespace Weft.ControlPlane.Identity;

/// <summary>Where the mesh root comes from and what the <see cref="MeshCertificateAuthority"/> issues.</summary>
public sealed record CaOptions
{
    /// <summary>
    /// Where a generated root is persisted (<c>ca.crt</c>, and <c>ca.key</c> readable by the owner only) and found again
    /// on restart. Null without <see cref="RootCertPath"/>: a root kept in memory, new on every start.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>A root certificate (PEM) the user provides; with <see cref="RootKeyPath"/>, it wins over <see cref="StateDirectory"/>.</summary>
    public string? RootCertPath { get; init; }

    /// <summary>The PEM private key (PKCS#8, SEC1 or PKCS#1) of <see cref="RootCertPath"/>.</summary>
    public string? RootKeyPath { get; init; }

    /// <summary>
    /// A root held elsewhere (the Kubernetes mode keeps it in a Secret): its certificate and private key as PEM. It wins
    /// over <see cref="RootCertPath"/> and <see cref="StateDirectory"/>.
    /// </summary>
    public RootPem? Root { get; init; }

    /// <summary>PEM files of more roots to trust (not to sign with): the old or the next root during a root rotation.</summary>
    public IReadOnlyList<string> ExtraTrustedRootPaths { get; init; } = [];

    /// <summary>The SPIFFE trust domain of the workload IDs.</summary>
    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>How long an issued workload certificate is valid (it never outlives the root).</summary>
    public TimeSpan WorkloadLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a generated root is valid.</summary>
    public TimeSpan RootLifetime { get; init; } = TimeSpan.FromDays(3650);
}
