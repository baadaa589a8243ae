namespace Weft.Kubernetes.Tests;

/// <summary>Finds the repository and the steering repo's shared files (read at test time, never copied).</summary>
internal static class SharedFiles
{
    public static string ConformanceCases => Path.Combine(Above("shared/conformance"), "shared", "conformance", "cases");

    /// <summary>The Gateway API CRDs (experimental channel: XMesh, TCPRoute and TLSRoute too) the stand-in serves.</summary>
    public static string GatewayApiCrds => Path.Combine(Above("shared/conformance"), "shared", "conformance", "upstream", "crds", "experimental");

    /// <summary>Weft's own CRD (AuthorizationPolicy), as weft install --crds prints it.</summary>
    public static string WeftCrd => Path.Combine(Repository, "deploy", "crds", "policy.weft.dev_authorizationpolicies.yaml");

    /// <summary>The repository root: the directory holding examples/.</summary>
    public static string Repository => Above("examples/canary");

    private static string Above(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, relative)))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no {relative} above {AppContext.BaseDirectory}");
    }
}
