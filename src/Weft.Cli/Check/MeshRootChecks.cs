using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Check;

/// <summary>The mesh root: Secret <c>weft-ca</c> holding a CA certificate and its key, valid, and published in the trust bundle.</summary>
internal static class MeshRootChecks
{
    public const string Group = "mesh-root";

    /// <summary>A root expiring sooner than this fails the check (rotation takes restarting every replica and sidecar).</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromDays(7);

    /// <summary>The Secret's check, and its certificate when it holds a usable CA (for the checks that compare with it).</summary>
    public static async Task<(CheckResult Result, X509Certificate2? Root)> SecretAsync(CheckContext context, CancellationToken ct)
    {
        var what = $"Secret {context.Namespace}/{WeftInstallation.CaSecretName}";
        var secret = await ApiReads.OrNullAsync(() => context.Client.CoreV1.ReadNamespacedSecretAsync(WeftInstallation.CaSecretName, context.Namespace, cancellationToken: ct)).ConfigureAwait(false);
        if (secret is null)
        {
            return (CheckResult.Fail(Group, "ca-secret", $"{what} does not exist", $"the controller makes it on its first start: {context.LogsHint}"), null);
        }

        const string hint = "a mesh root Secret is of type kubernetes.io/tls with a CA certificate (tls.crt) and its key (tls.key); delete it to have the controller make one";
        if (secret.Type != "kubernetes.io/tls")
        {
            return (CheckResult.Fail(Group, "ca-secret", $"{what} is of type {secret.Type ?? "(none)"}, not kubernetes.io/tls", hint), null);
        }

        if (secret.Data is null || !secret.Data.TryGetValue(KubeCaSecret.CertificateKey, out var certBytes) || !secret.Data.TryGetValue(KubeCaSecret.KeyKey, out var keyBytes))
        {
            return (CheckResult.Fail(Group, "ca-secret", $"{what} lacks {KubeCaSecret.CertificateKey} or {KubeCaSecret.KeyKey}", hint), null);
        }

        X509Certificate2 root;
        try
        {
            root = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(certBytes));
        }
        catch (CryptographicException e)
        {
            return (CheckResult.Fail(Group, "ca-secret", $"{what}: {KubeCaSecret.CertificateKey} is not a PEM certificate ({e.Message})", hint), null);
        }

        if (root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            root.Dispose();
            return (CheckResult.Fail(Group, "ca-secret", $"{what}: {KubeCaSecret.CertificateKey} is not a CA certificate (basic constraints CA:false)", hint), null);
        }

        try
        {
            using var withKey = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(certBytes), Encoding.ASCII.GetString(keyBytes));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            root.Dispose();
            return (CheckResult.Fail(Group, "ca-secret", $"{what}: {KubeCaSecret.KeyKey} is not the key of {KubeCaSecret.CertificateKey} ({e.Message})", hint), null);
        }

        return (CheckResult.Pass(Group, "ca-secret", $"{what} holds a CA certificate ({root.Subject}) and its key"), root);
    }

    public static CheckResult Validity(CheckContext context, X509Certificate2 root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var now = context.Time.GetUtcNow().UtcDateTime;
        var until = root.NotAfter.ToUniversalTime();
        var date = until.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        const string hint = "rotate the mesh root: replace the Secret (or delete it for a new one) and restart the controller and every meshed workload";
        if (now < root.NotBefore.ToUniversalTime())
        {
            return CheckResult.Fail(Group, "ca-validity", $"the mesh root is not valid before {root.NotBefore.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}", "check the clocks, or " + hint);
        }

        if (now > until)
        {
            return CheckResult.Fail(Group, "ca-validity", $"the mesh root expired on {date}", hint);
        }

        var left = until - now;
        var days = left.TotalDays.ToString("0", CultureInfo.InvariantCulture);
        return left < ExpiryMargin
            ? CheckResult.Fail(Group, "ca-validity", $"the mesh root expires in {days} days ({date})", hint)
            : CheckResult.Pass(Group, "ca-validity", $"the mesh root is valid until {date} ({days} days)");
    }

    public static async Task<CheckResult> TrustBundleAsync(CheckContext context, X509Certificate2 root, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(root);
        var what = $"ConfigMap {context.Namespace}/{WeftInstallation.TrustBundleConfigMapName}";
        var map = await ApiReads.OrNullAsync(() => context.Client.CoreV1.ReadNamespacedConfigMapAsync(WeftInstallation.TrustBundleConfigMapName, context.Namespace, cancellationToken: ct)).ConfigureAwait(false);
        if (map is null)
        {
            return CheckResult.Fail(Group, "trust-bundle", $"{what} does not exist", $"the controller publishes it when running: {context.LogsHint}");
        }

        string? bundle = null;
        _ = map.Data?.TryGetValue(KubeCaSecret.BundleKey, out bundle);
        return Holds(bundle, root)
            ? CheckResult.Pass(Group, "trust-bundle", $"{what} holds the mesh root")
            : CheckResult.Fail(Group, "trust-bundle", $"{what} ({KubeCaSecret.BundleKey}) does not hold the mesh root", $"the controller publishes it when running: {context.LogsHint}");
    }

    /// <summary>Whether a PEM bundle holds <paramref name="root"/> (the same certificate, byte for byte).</summary>
    public static bool Holds(string? bundlePem, X509Certificate2 root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (string.IsNullOrWhiteSpace(bundlePem))
        {
            return false;
        }

        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPem(bundlePem);
            return bundle.Any(c => c.RawDataMemory.Span.SequenceEqual(root.RawDataMemory.Span));
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            foreach (var c in bundle)
            {
                c.Dispose();
            }
        }
    }
}
