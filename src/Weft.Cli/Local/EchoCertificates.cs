using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Weft.Api.Model;

namespace Weft.Cli.Local;

/// <summary>
/// Gives an echo pod a real certificate for its <c>--tls</c> ports: when its args name <c>--crt</c>/<c>--key</c> files
/// that do not exist (the upstream manifests mount <c>/cert.crt</c> and <c>/cert.key</c> from a Secret), a self-signed
/// ECDSA P-256 certificate for the pod (CN and DNS SAN = the pod name, plus the <c>weft.dev/tls-hostnames</c> annotation's
/// comma-separated names) is written to the run directory and the args are rewritten to point at it. Relative paths
/// that name files of the manifests directory (an example's own certificate, as a Secret volume would hold it) point at
/// those files instead.
/// </summary>
internal static class EchoCertificates
{
    public const string HostnamesAnnotation = "weft.dev/tls-hostnames";

    public static PodSpec Provide(PodSpec spec, IReadOnlyDictionary<string, string> annotations, string directory, string podNamespace, string podName, string? manifestDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var containers = new List<Container>();
        var changed = false;
        foreach (var container in spec.Containers)
        {
            if (ImageMap.IsEcho(container.Image) && manifestDirectory is not null && InManifests(container.Args, manifestDirectory) is var (givenCrt, givenKey))
            {
                containers.Add(container with { Args = Rewrite(container.Args, givenCrt, givenKey) });
                changed = true;
                continue;
            }

            if (!ImageMap.IsEcho(container.Image) || !NeedsCertificate(container.Args))
            {
                containers.Add(container);
                continue;
            }

            Directory.CreateDirectory(directory);
            var crt = Path.Combine(directory, $"{podNamespace}_{podName}_{container.Name}.crt");
            var key = Path.Combine(directory, $"{podNamespace}_{podName}_{container.Name}.key");
            var names = new List<string> { podName };
            if (annotations.TryGetValue(HostnamesAnnotation, out var extra))
            {
                names.AddRange(extra.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }

            Write(crt, key, names);
            containers.Add(container with { Args = Rewrite(container.Args, crt, key) });
            changed = true;
        }

        return changed ? spec with { Containers = containers } : spec;
    }

    /// <summary>The <c>--crt</c>/<c>--key</c> files when both are relative paths of files in the manifests directory.</summary>
    private static (string Crt, string Key)? InManifests(IReadOnlyList<string> args, string manifestDirectory)
    {
        var (crt, key) = (Value(args, "crt"), Value(args, "key"));
        if (crt is null || key is null || Path.IsPathRooted(crt) || Path.IsPathRooted(key))
        {
            return null;
        }

        // Only files of the directory itself: "../" does not reach out of it.
        var root = Path.GetFullPath(manifestDirectory) + Path.DirectorySeparatorChar;
        var (crtPath, keyPath) = (Path.GetFullPath(crt, manifestDirectory), Path.GetFullPath(key, manifestDirectory));
        return crtPath.StartsWith(root, StringComparison.Ordinal) && keyPath.StartsWith(root, StringComparison.Ordinal) && File.Exists(crtPath) && File.Exists(keyPath)
            ? (crtPath, keyPath)
            : null;
    }

    private static bool NeedsCertificate(IReadOnlyList<string> args)
    {
        var (crt, key) = (Value(args, "crt"), Value(args, "key"));
        return crt is not null && key is not null && (!File.Exists(crt) || !File.Exists(key));
    }

    private static string? Value(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var body = args[i].TrimStart('-');
            if (body == name && i + 1 < args.Count)
            {
                return args[i + 1];
            }

            if (body.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return body[(name.Length + 1)..];
            }
        }

        return null;
    }

    private static List<string> Rewrite(IReadOnlyList<string> args, string crt, string key)
    {
        var result = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var body = args[i].TrimStart('-');
            var name = body.Split('=')[0];
            if (name is "crt" or "key" && args[i].StartsWith('-'))
            {
                var path = name == "crt" ? crt : key;
                result.Add($"--{name}={path}");
                if (!body.Contains('=', StringComparison.Ordinal))
                {
                    i++; // the separate value
                }

                continue;
            }

            result.Add(args[i]);
        }

        return result;
    }

    private static void Write(string crtPath, string keyPath, List<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-1), now.AddDays(30));
        File.WriteAllText(crtPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
