using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Weft.ControlPlane.Identity;

namespace Weft.ControlPlane.Serving;

/// <summary>
/// The credential that reads the control plane's status (<c>GetStatus</c>, for <c>weft status</c>): a random secret kept
/// in the state directory (<see cref="FileName"/>, readable by its owner only), or in memory. A sidecar's credential
/// never reads status, and this one never speaks for a pod.
/// </summary>
internal sealed class AdminCredential
{
    public const string FileName = "admin.token";

    private const string Prefix = "weft-admin.";

    private readonly byte[] _value;

    private AdminCredential(string value, string? path)
    {
        Value = value;
        Path = path;
        _value = Encoding.ASCII.GetBytes(value);
    }

    /// <summary>The credential, as presented (<c>authorization: Bearer</c>).</summary>
    public string Value { get; }

    /// <summary>Where it is kept; null in memory.</summary>
    public string? Path { get; }

    /// <summary>A new secret on every start, written to <paramref name="stateDirectory"/> (when given) for the CLI to read.</summary>
    public static AdminCredential Create(string? stateDirectory)
    {
        var value = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        if (stateDirectory is null)
        {
            return new AdminCredential(value, null);
        }

        var path = System.IO.Path.Combine(stateDirectory, FileName);
        IdentityFiles.WriteAtomically(path, Encoding.ASCII.GetBytes(value), secret: true, overwrite: true);
        return new AdminCredential(value, path);
    }

    /// <summary>Whether <paramref name="presented"/> looks like an admin credential at all (it is then never a workload token).</summary>
    public static bool IsAdminShaped(string presented) => presented.StartsWith(Prefix, StringComparison.Ordinal);

    public bool Matches(string presented) => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), _value);
}
