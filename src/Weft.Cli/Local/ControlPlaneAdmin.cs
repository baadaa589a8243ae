using System.Security.Cryptography.X509Certificates;
using Weft.Discovery;

namespace Weft.Cli.Local;

/// <summary>
/// How the CLI calls the local mesh's control plane as its admin (<c>weft status</c>, <c>tap</c>, <c>top</c>, <c>stat</c>,
/// <c>dashboard</c>): over TLS
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

    /// <summary>
    /// The running local mesh's control plane and the admin credential to call it with, found through the state file;
    /// null (and why not written to <paramref name="errors"/>) when the mesh or its credential cannot be found.
    /// </summary>
    public static async Task<Access?> FindAsync(
        string command, string? statePath, string? dir, TextWriter errors, CancellationToken ct)
    {
        var (found, error) = StateFile.Find(statePath, dir);
        if (found is null)
        {
            errors.WriteLine($"weft {command}: {error}");
            return null;
        }

        if (found.AdminCredential is null)
        {
            errors.WriteLine($"weft {command}: the mesh of {found.ManifestDirectory} runs against an API server (--kubeconfig): its control plane's admin credential is not in the state file");
            return null;
        }

        try
        {
            var (roots, credentials) = await ReadAsync(found.ControlPlaneCa, found.AdminCredential, ct);
            return new Access(new Uri(found.ControlPlane), roots, credentials);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            errors.WriteLine($"weft {command}: cannot read the control plane's credentials ({found.AdminCredential}): {e.Message}");
            return null;
        }
    }

    /// <summary>The control plane's address and what to call it with as its admin.</summary>
    internal sealed record Access(Uri ControlPlane, X509Certificate2Collection? Roots, DiscoveryCredentials? Credentials);
}
