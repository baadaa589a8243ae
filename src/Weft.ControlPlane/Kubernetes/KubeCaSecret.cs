using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Weft.ControlPlane.Identity;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The mesh root kept in a Secret of type <c>kubernetes.io/tls</c> (<c>tls.crt</c>, <c>tls.key</c>, as cert-manager
/// writes one, so a user can bring their own): read when it exists, else made and created. Two replicas starting at
/// once both try to create it; the one that gets <c>409 AlreadyExists</c> reads the winner's. Its certificate (public)
/// is also published in a ConfigMap, <c>ca.crt</c>, for whatever must trust the mesh without reading Secrets.
/// </summary>
public static class KubeCaSecret
{
    public const string CertificateKey = "tls.crt";
    public const string KeyKey = "tls.key";
    public const string BundleKey = "ca.crt";

    public static async Task<RootPem> LoadOrCreateAsync(IKubernetes client, string @namespace, string name, CaOptions options, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await ReadAsync(client, @namespace, name, ct).ConfigureAwait(false) is { } existing)
            {
                return existing;
            }

            var created = MeshCertificateAuthority.CreateRootPem(options, time);
            if (await TryCreateAsync(client, @namespace, name, created, ct).ConfigureAwait(false))
            {
                return created;
            }

            // Another replica made it first: use theirs.
        }

        throw new InvalidOperationException($"the mesh root Secret {@namespace}/{name} could be neither read nor created");
    }

    /// <summary>Creates the Secret holding <paramref name="root"/>; false when one exists already (409).</summary>
    public static async Task<bool> TryCreateAsync(IKubernetes client, string @namespace, string name, RootPem root, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(root);
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = @namespace,
                Labels = new Dictionary<string, string> { [WeftInstallation.PartOfLabel] = WeftInstallation.PartOfValue },
            },
            Type = "kubernetes.io/tls",
            Data = new Dictionary<string, byte[]>
            {
                [CertificateKey] = Encoding.ASCII.GetBytes(root.CertificatePem),
                [KeyKey] = Encoding.ASCII.GetBytes(root.KeyPem),
            },
        };
        try
        {
            await client.CoreV1.CreateNamespacedSecretAsync(secret, @namespace, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>Creates or updates ConfigMap <paramref name="name"/> so that its <c>ca.crt</c> is <paramref name="bundlePem"/>.</summary>
    public static async Task PublishBundleAsync(IKubernetes client, string @namespace, string name, string bundlePem, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            V1ConfigMap? existing = null;
            try
            {
                existing = await client.CoreV1.ReadNamespacedConfigMapAsync(name, @namespace, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
            }

            try
            {
                if (existing is null)
                {
                    await client.CoreV1.CreateNamespacedConfigMapAsync(
                        new V1ConfigMap
                        {
                            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace, Labels = new Dictionary<string, string> { [WeftInstallation.PartOfLabel] = WeftInstallation.PartOfValue } },
                            Data = new Dictionary<string, string> { [BundleKey] = bundlePem },
                        },
                        @namespace,
                        cancellationToken: ct).ConfigureAwait(false);
                    return;
                }

                if (existing.Data?.TryGetValue(BundleKey, out var current) == true && current == bundlePem)
                {
                    return;
                }

                if (existing.Metadata?.Labels?.TryGetValue(WeftInstallation.PartOfLabel, out var owner) != true || owner != WeftInstallation.PartOfValue)
                {
                    throw new InvalidOperationException($"ConfigMap {@namespace}/{name} exists and is not Weft's (no {WeftInstallation.PartOfLabel}={WeftInstallation.PartOfValue} label): left as it is");
                }

                existing.Data ??= new Dictionary<string, string>();
                existing.Data[BundleKey] = bundlePem;
                await client.CoreV1.ReplaceNamespacedConfigMapAsync(existing, name, @namespace, cancellationToken: ct).ConfigureAwait(false);
                return;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
            {
                // Created or changed by another replica meanwhile: read it again.
            }
        }

        throw new InvalidOperationException($"ConfigMap {@namespace}/{name} kept changing under five attempts to publish the trust bundle");
    }

    /// <summary>
    /// The trust bundle ConfigMap <paramref name="name"/> holds (its <see cref="BundleKey"/>, as a pod mounts it), or null
    /// when it holds none; an API error (404 included: Weft is not installed there) is thrown.
    /// </summary>
    public static async Task<string?> ReadBundleAsync(IKubernetes client, string @namespace, string name, CancellationToken ct)
    {
        var bundle = await client.CoreV1.ReadNamespacedConfigMapAsync(name, @namespace, cancellationToken: ct).ConfigureAwait(false);
        return bundle.Data?.TryGetValue(BundleKey, out var pem) == true && pem.Length > 0 ? pem : null;
    }

    /// <summary>The root the Secret holds, or null when there is no such Secret.</summary>
    public static async Task<RootPem?> ReadAsync(IKubernetes client, string @namespace, string name, CancellationToken ct)
    {
        V1Secret secret;
        try
        {
            secret = await client.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (secret.Data is null || !secret.Data.TryGetValue(CertificateKey, out var cert) || !secret.Data.TryGetValue(KeyKey, out var key))
        {
            throw new InvalidOperationException($"Secret {@namespace}/{name} lacks {CertificateKey} or {KeyKey}; a mesh root Secret is of type kubernetes.io/tls with both");
        }

        return new RootPem(Encoding.ASCII.GetString(cert), Encoding.ASCII.GetString(key));
    }
}
