using System.Security.Cryptography.X509Certificates;
using Weft.Discovery;

namespace Weft.Cli.Commands;

/// <summary>
/// What <c>weft status</c>, <c>tap</c> and <c>top</c> present to a local mesh's control plane, from the files its state
/// file names: the control plane's CA (PEM), the only roots its serving certificate may chain to, and the admin
/// credential, sent as the bearer.
/// </summary>
internal static class AdminCredentials
{
    /// <returns>The roots (null: no CA file, the system's) and the credentials (null: no credential file).</returns>
    /// <exception cref="IOException">A file could not be read (also <see cref="UnauthorizedAccessException"/>, <see cref="System.Security.Cryptography.CryptographicException"/>).</exception>
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
