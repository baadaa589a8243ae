using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Api.Model;
using Weft.Discovery;
using Weft.Discovery.Internal;

namespace Weft.ControlPlane.Tests.Support;

/// <summary>How tests call an authenticated control plane: over TLS to its mesh root, as a pod (its token) or as the CLI (the admin credential).</summary>
internal static class TestCallers
{
    public const string Source = "test-pods";

    public static X509Certificate2Collection Roots(ControlPlaneHost host)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(host.TrustBundlePem);
        return roots;
    }

    /// <summary>A gRPC channel to the host, verified against its mesh root, with <paramref name="credentials"/> on every call.</summary>
    /// <remarks>With a host on a fake clock, pass it: the serving certificate is valid from the host's now.</remarks>
    public static GrpcChannel Channel(ControlPlaneHost host, DiscoveryCredentials? credentials = null, TimeProvider? time = null) =>
        DiscoveryChannel.Create(host.Address, Roots(host), credentials, time);

    public static string UidOf(string @namespace, string name) => $"uid-{@namespace}-{name}";

    /// <summary>The pod's token, for the pod <see cref="Pod"/> makes (same uid).</summary>
    public static DiscoveryCredentials PodToken(ControlPlaneHost host, string @namespace, string name, string serviceAccount = "default") =>
        DiscoveryCredentials.Bearer(host.IssueWorkloadToken(@namespace, name, UidOf(@namespace, name), serviceAccount));

    public static DiscoveryCredentials Admin(ControlPlaneHost host) => DiscoveryCredentials.Bearer(host.AdminCredential);

    public static Pod Pod(string @namespace, string name, string serviceAccount = "default", string? uid = null) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = @namespace, Uid = uid ?? UidOf(@namespace, name) },
        Spec = new PodSpec { ServiceAccountName = serviceAccount },
    };

    /// <summary>The pod as a manifest (it then survives a control plane restart on the same directory).</summary>
    public static string PodYaml(string @namespace, string name, string serviceAccount = "default") => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: {@namespace}
          uid: {UidOf(@namespace, name)}
        spec:
          serviceAccountName: {serviceAccount}
          containers:
          - name: app
            image: app
        """;

    /// <summary>Waits until the host's store holds the pod (a manifest just written is read asynchronously).</summary>
    public static Task WaitForPodAsync(ControlPlaneHost host, string @namespace, string name) =>
        Weft.Tests.Shared.Eventually.TrueAsync(
            () => host.Store.Snapshot().Objects.Any(o => o is Pod && o.Namespace == @namespace && o.Name == name),
            $"pod {@namespace}/{name} in the store",
            TimeSpan.FromSeconds(10));

    /// <summary>Puts these pods (and only these, of the test's own) into the host's store.</summary>
    public static void SetPods(ControlPlaneHost host, params Pod[] pods) => host.Store.Replace(Source, pods);

    public static Task<Discovery.V1.StatusReply> StatusAsync(ControlPlaneHost host) =>
        DiscoveryClient.GetStatusAsync(host.Address, CancellationToken.None, Roots(host), Admin(host));

    /// <summary>A discovery client for pod <paramref name="namespace"/>/<paramref name="name"/> with its own token.</summary>
    public static DiscoveryClient Client(ControlPlaneHost host, string @namespace, string name, string serviceAccount = "default") =>
        new(host.Address, @namespace, $"{@namespace}/{name}", NullLogger.Instance, null, Roots(host), PodToken(host, @namespace, name, serviceAccount));
}
