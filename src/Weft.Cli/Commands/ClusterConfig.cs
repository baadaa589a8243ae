using k8s;
using k8s.Exceptions;

namespace Weft.Cli.Commands;

/// <summary>
/// Which cluster a verb talks to, as kubectl finds it: <c>--kubeconfig</c>; else, in a pod with no <c>--context</c>, the
/// service account's credentials; else the first file of <c>KUBECONFIG</c> that exists (its first entry when none
/// does, for the error); else <c>~/.kube/config</c>.
/// </summary>
internal static class ClusterConfig
{
    /// <summary>
    /// <see cref="Resolve"/>, or false with <c>weft VERB: no usable cluster configuration: WHY</c> on <paramref name="errors"/>
    /// (standard error when null).
    /// </summary>
    public static bool TryResolve(string? kubeconfig, string? context, string verb, out KubernetesClientConfiguration config, TextWriter? errors = null)
    {
        try
        {
            config = Resolve(kubeconfig, context);
            return true;
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or ArgumentException or FormatException
            or YamlDotNet.Core.YamlException or System.Security.Cryptography.CryptographicException)
        {
            var what = e switch
            {
                YamlDotNet.Core.YamlException y => $"{kubeconfig ?? "the kubeconfig"} is not valid YAML (line {y.Start.Line}): {y.Message[(y.Message.LastIndexOf("): ", StringComparison.Ordinal) + 1)..].Trim()}",
                System.Security.Cryptography.CryptographicException => $"a certificate or key in {kubeconfig ?? "the kubeconfig"} cannot be read: {e.Message}",
                _ => e.Message,
            };
            (errors ?? Console.Error).WriteLine($"weft {verb}: no usable cluster configuration: {what}");
            config = null!;
            return false;
        }
    }

    public static KubernetesClientConfiguration Resolve(string? kubeconfig, string? context)
    {
        if (kubeconfig is not null)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, context);
        }

        if (context is null && KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        var paths = (Environment.GetEnvironmentVariable("KUBECONFIG") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return paths.Length > 0
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(paths.FirstOrDefault(File.Exists) ?? paths[0], context)
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: context);
    }
}
