using System.Security.Cryptography.X509Certificates;
using Weft.Discovery;

namespace Weft.Cli.Local;

/// <summary>
/// How the CLI calls the local mesh's control plane as its admin (<c>weft status</c>, <c>weft tap</c>): over TLS
/// verified against the mesh state's <see cref="MeshState.ControlPlaneCa"/>, presenting its
/// <see cref="MeshState.AdminCredential"/> as the bearer token.
/// </summary>
internal static class ControlPlaneAdmin
{
    /// <summary>
    /// The roots in <paramref name="caFile"/> and the credential in <paramref name="credentialFile"/> (each null when its
    /// file is); throws <see cref="IOException"/>, <see cref="UnauthorizedAccessException"/> or
    /// <see cref="System.Security.Cryptography.CryptographicException"/> when one cannot be read.
    /// </summary>
    public static async Task<(X509Certificate2Collection? Roots, DiscoveryCredentials? Credentials)> ReadAsync(string? caFile, string? credentialFile, CancellationToken ct)
    {
        X509Certificate2Collection? roots = null;
        if (caFile is not null)
        {
            roots = [];
            roots.ImportFromPemFile(caFile);
        }

        var credentials = credentialFile is null ? null : DiscoveryCredentials.Bearer((await File.ReadAllTextAsync(credentialFile, ct)).Trim());
        return (roots, credentials);
    }
}
