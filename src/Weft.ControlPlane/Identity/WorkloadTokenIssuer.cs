using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Weft.ControlPlane.Identity;

/// <summary>
/// The local mode's workload tokens: <c>weft1.&lt;claims&gt;.&lt;mac&gt;</c>, base64url JSON claims
/// (namespace, pod name and uid, service account, expiry) and their HMAC-SHA256 under a key only the control plane
/// holds (made on first start and kept in the state directory, or in memory). Like a projected service-account token
/// they are short-lived and bound to one incarnation of a pod (its uid): the local cluster writes each pod's token to
/// its sidecar's token file and rewrites it before expiry, and the sidecar presents it on every discovery call.
/// </summary>
public sealed class WorkloadTokenIssuer : IWorkloadAuthenticator
{
    public const string KeyFile = "token.key";

    private const string Prefix = "weft1.";
    private const int KeyBytes = 32;
    private const int MaxTokenLength = 4096;

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    private WorkloadTokenIssuer(byte[] key, TimeProvider time)
    {
        _key = key;
        _time = time;
    }

    /// <summary>The key persisted in <paramref name="stateDirectory"/> (made there on first use), or a key in memory when null.</summary>
    public static WorkloadTokenIssuer LoadOrCreate(string? stateDirectory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (stateDirectory is null)
        {
            return new WorkloadTokenIssuer(RandomNumberGenerator.GetBytes(KeyBytes), time);
        }

        var path = Path.Combine(stateDirectory, KeyFile);
        if (File.Exists(path))
        {
            var stored = File.ReadAllBytes(path);
            return stored.Length == KeyBytes
                ? new WorkloadTokenIssuer(stored, time)
                : throw new InvalidOperationException($"{path} is not a {KeyBytes}-byte token key; remove it to make a new one (tokens issued with it stop working).");
        }

        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        IdentityFiles.WriteAtomically(path, key, secret: true);
        return new WorkloadTokenIssuer(key, time);
    }

    /// <summary>
    /// A token for pod <paramref name="namespace"/>/<paramref name="pod"/> (the incarnation with uid
    /// <paramref name="podUid"/>) running as <paramref name="serviceAccount"/>.
    /// </summary>
    public string IssueToken(string @namespace, string pod, string podUid, string serviceAccount, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(podUid);
        if (!IsName(@namespace) || !IsName(pod) || !IsName(serviceAccount) || podUid.Length > 128)
        {
            throw new ArgumentException($"'{@namespace}/{pod}' (service account '{serviceAccount}') is not a valid namespace, pod and service account name.");
        }

        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "A token's lifetime must be positive.");
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("ns", @namespace);
            json.WriteString("pod", pod);
            json.WriteString("uid", podUid);
            json.WriteString("sa", serviceAccount);
            json.WriteNumber("exp", (_time.GetUtcNow() + lifetime).ToUnixTimeSeconds());
            json.WriteEndObject();
        }

        var signed = Prefix + Base64Url.EncodeToString(buffer.ToArray());
        return signed + "." + Base64Url.EncodeToString(Mac(signed));
    }

    /// <summary>The claims of a token this issuer made, unexpired; else false and why.</summary>
    public bool TryValidate(string token, out WorkloadClaims claims, out string error)
    {
        claims = null!;
        if (string.IsNullOrEmpty(token))
        {
            error = "no workload token was presented";
            return false;
        }

        var dot = token.LastIndexOf('.');
        if (token.Length > MaxTokenLength || !token.StartsWith(Prefix, StringComparison.Ordinal) || dot <= Prefix.Length)
        {
            error = "the workload token is malformed";
            return false;
        }

        var signed = token[..dot];
        var macText = token.AsSpan(dot + 1);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Base64Url.IsValid(macText, out var macLength)
            || macLength != mac.Length
            || !Base64Url.TryDecodeFromChars(macText, mac, out _)
            || !CryptographicOperations.FixedTimeEquals(mac, Mac(signed)))
        {
            error = "the workload token's signature does not verify: it was not issued by this control plane";
            return false;
        }

        if (!TryReadClaims(signed.AsSpan(Prefix.Length), out claims))
        {
            error = "the workload token's claims are malformed";
            return false;
        }

        if (_time.GetUtcNow() >= claims.Expires)
        {
            error = $"the workload token of {claims.Namespace}/{claims.PodName} expired at {claims.Expires:O}";
            claims = null!;
            return false;
        }

        error = "";
        return true;
    }

    ValueTask<WorkloadAuthentication> IWorkloadAuthenticator.AuthenticateAsync(string token, CancellationToken ct) =>
        ValueTask.FromResult(TryValidate(token, out var claims, out var error) ? WorkloadAuthentication.Accepted(claims) : WorkloadAuthentication.Refused(error));

    private byte[] Mac(string signed) => HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signed));

    private static bool TryReadClaims(ReadOnlySpan<char> encoded, out WorkloadClaims claims)
    {
        claims = null!;
        if (!Base64Url.IsValid(encoded))
        {
            return false;
        }

        var json = Base64Url.DecodeFromChars(encoded);

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("ns", out var ns) || ns.GetString() is not { } nsName || !IsName(nsName)
                || !root.TryGetProperty("pod", out var pod) || pod.GetString() is not { } podName || !IsName(podName)
                || !root.TryGetProperty("uid", out var uid) || uid.GetString() is not { Length: > 0 } podUid
                || !root.TryGetProperty("sa", out var sa) || sa.GetString() is not { } saName || !IsName(saName)
                || !root.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expires))
            {
                return false;
            }

            claims = new WorkloadClaims(nsName, podName, saName, DateTimeOffset.FromUnixTimeSeconds(expires), podUid);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>A DNS-1123 subdomain (RFC 1123), as Kubernetes names namespaces, pods and service accounts.</summary>
    private static bool IsName(string name)
    {
        if (name.Length is 0 or > 253 || !IsLowerOrDigit(name[0]) || !IsLowerOrDigit(name[^1]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(IsLowerOrDigit(c) || c is '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerOrDigit(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
}
