using System.Security.Cryptography.X509Certificates;
using k8s;
using Weft.ControlPlane.Kubernetes;
using Weft.Discovery;

namespace Weft.Cli.Local;

/// <summary>
/// How the CLI calls a control plane as an operator (<c>weft status</c>, <c>tap</c>, <c>top</c>, <c>stat</c>,
/// <c>dashboard</c>): the local mesh's over TLS verified against the mesh state's <see cref="MeshState.ControlPlaneCa"/>,
/// presenting its <see cref="MeshState.AdminCredential"/> as the bearer token; a cluster's controller verified against
/// the trust bundle it publishes, presenting the kubeconfig user's token, which the controller has the API server review.
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
    /// The control plane <paramref name="query"/> names and the credential to call it with as an operator: a cluster's
    /// controller with the kubeconfig user's token when the query names a cluster (or the running mesh runs against an
    /// API server), else the running local mesh's with its admin credential, found through the state file; null (and
    /// why not written to <paramref name="errors"/>) when neither can be found.
    /// </summary>
    public static async Task<Access?> FindAsync(string command, Query query, TextWriter errors, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.NamesCluster)
        {
            return await ClusterAsync(command, query.Kubeconfig, query.Context, query.ControlPlane, query.WeftNamespace, errors, ct);
        }

        var (found, error) = StateFile.Find(query.State, query.Dir);
        return found is null ? Fail(errors, $"weft {command}: {error}") : await ForMeshAsync(command, found, errors, ct);
    }

    /// <summary>
    /// The control plane of the running mesh <paramref name="found"/> and the credential to call it with as an operator:
    /// its admin credential, or for <c>weft up --kubeconfig</c> the kubeconfig user's token; null (and why not written to
    /// <paramref name="errors"/>) when it cannot be read.
    /// </summary>
    public static async Task<Access?> ForMeshAsync(string command, MeshState found, TextWriter errors, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(found);
        if (found.AdminCredential is null)
        {
            // weft up --kubeconfig: its controller is a cluster's, which knows the kubeconfig's users, not an admin file.
            return found.Kubeconfig is null
                ? Fail(errors, $"weft {command}: the state file of {found.ManifestDirectory} names no admin credential")
                : await ClusterAsync(command, found.Kubeconfig, found.KubeContext, found.ControlPlane, found.KubeNamespace ?? WeftInstallation.DefaultNamespace, errors, ct);
        }

        try
        {
            var (roots, credentials) = await ReadAsync(found.ControlPlaneCa, found.AdminCredential, ct);
            return new Access(new Uri(found.ControlPlane), roots, credentials, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return Fail(errors, $"weft {command}: cannot read the control plane's credentials ({found.AdminCredential}): {e.Message}");
        }
    }

    /// <summary>
    /// A cluster's controller at <paramref name="controlPlane"/>, verified against the trust bundle Weft publishes in
    /// <paramref name="weftNamespace"/> (ConfigMap <c>weft-trust-bundle</c>) and as its Service's name, called with the
    /// kubeconfig user's bearer token: the controller asks the API server who that is and whether RBAC lets them.
    /// </summary>
    private static async Task<Access?> ClusterAsync(string command, string? kubeconfig, string? context, string? controlPlane, string weftNamespace, TextWriter errors, CancellationToken ct)
    {
        var service = WeftInstallation.ControllerHost(weftNamespace);
        if (controlPlane is null)
        {
            return Fail(errors, $"weft {command}: --control-plane is needed with --kubeconfig: the controller's discovery port, e.g. {WeftInstallation.PortForwardHint(weftNamespace)}");
        }

        if (!Uri.TryCreate(controlPlane, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttps)
        {
            return Fail(errors, $"weft {command}: --control-plane '{controlPlane}' is not an https:// URL");
        }

        if (!Commands.ClusterConfig.TryResolve(kubeconfig, context, command, out var config, errors))
        {
            return null;
        }

        var token = config.AccessToken;
        if (string.IsNullOrEmpty(token) && config.TokenProvider is { } provider)
        {
            token = (await provider.GetAuthenticationHeaderAsync(ct)).Parameter;
        }

        if (string.IsNullOrEmpty(token))
        {
            return Fail(errors, $"weft {command}: the kubeconfig's user has no bearer token to show the controller (a client certificate cannot be passed on): use a token user, e.g. one from kubectl create token");
        }

        string? pem;
        try
        {
            using var client = new k8s.Kubernetes(config);
            pem = await KubeCaSecret.ReadBundleAsync(client, weftNamespace, WeftInstallation.TrustBundleConfigMapName, ct);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            return Fail(errors, $"weft {command}: cannot read ConfigMap {weftNamespace}/{WeftInstallation.TrustBundleConfigMapName} (the mesh's trust bundle): {(int)e.Response.StatusCode} {e.Response.ReasonPhrase} (is Weft installed in {weftNamespace}? --weft-namespace)");
        }
        catch (HttpRequestException e)
        {
            return Fail(errors, $"weft {command}: the API server {config.Host} did not answer: {Weft.ControlPlane.Kubernetes.KubeErrors.Describe(e)}");
        }

        var where = $"ConfigMap {weftNamespace}/{WeftInstallation.TrustBundleConfigMapName} ({KubeCaSecret.BundleKey})";
        if (pem is null)
        {
            return Fail(errors, $"weft {command}: {where} holds no trust bundle (the controller writes it when it starts)");
        }

        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            return Fail(errors, $"weft {command}: {where} holds no usable certificate: {e.Message}");
        }

        if (roots.Count == 0)
        {
            return Fail(errors, $"weft {command}: {where} holds no certificate");
        }

        return new Access(address, roots, DiscoveryCredentials.Bearer(token), service);
    }

    private static Access? Fail(TextWriter errors, string message)
    {
        errors.WriteLine(message);
        return null;
    }

    /// <summary>What names the control plane to call: a local mesh (state file or manifests directory) or a cluster.</summary>
    internal sealed record Query(string? State, string? Dir, string? Kubeconfig, string? Context, string? ControlPlane, string WeftNamespace)
    {
        /// <summary>A kubeconfig, context or controller address was given: the cluster's controller is meant.</summary>
        public bool NamesCluster => Kubeconfig is not null || Context is not null || ControlPlane is not null;
    }

    /// <summary>
    /// The control plane's address and what to call it with as an operator; <paramref name="ServerName"/> is the name
    /// its certificate must carry when not the address's host (a cluster controller's Service name).
    /// </summary>
    internal sealed record Access(Uri ControlPlane, X509Certificate2Collection? Roots, DiscoveryCredentials? Credentials, string? ServerName);
}
