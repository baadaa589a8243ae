namespace Weft.Discovery.Identity;

/// <summary>How a <see cref="WorkloadIdentity"/> gets and renews its certificate.</summary>
public sealed record WorkloadIdentityOptions
{
    /// <summary>The discovery server, <c>http://127.0.0.1:PORT</c> or <c>https://weft-controller.weft-system.svc:8090</c>.</summary>
    public required Uri ControlPlane { get; init; }

    /// <summary>The roots an <c>https</c> control plane's certificate must chain to (the mesh trust bundle); null: the system's.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? ControlPlaneRoots { get; init; }

    /// <summary>
    /// The workload token, read before every request so that a rotated token (a projected service-account token file
    /// in Kubernetes, the token file <c>weft up</c> rewrites) is picked up.
    /// </summary>
    public required Func<string?> Token { get; init; }

    /// <summary>The fraction of the certificate's lifetime after which it is renewed (0.5: a 24 h certificate after 12 h).</summary>
    public double RenewAt { get; init; } = 0.5;

    /// <summary>The first retry delay after a failed renewal; it doubles up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one IssueCertificate call may take.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider? Time { get; init; }
}
