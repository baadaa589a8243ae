namespace Weft.ControlPlane.Tests.Support;

/// <summary>Files from the steering repo's <c>shared/</c>, found by walking up from the test binaries (never copied into this repo).</summary>
internal static class SharedFiles
{
    public static string Path(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(System.IO.Path.Combine(dir.FullName, "shared", "conformance")))
            {
                return System.IO.Path.Combine(dir.FullName, "shared", relative);
            }
        }

        throw new DirectoryNotFoundException($"no shared/conformance above {AppContext.BaseDirectory}");
    }

    /// <summary>A file of this repository (the worktree the tests were built in), e.g. <c>deploy/crds/...</c>.</summary>
    public static string RepositoryPath(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(System.IO.Path.Combine(dir.FullName, "deploy", "crds")))
            {
                return System.IO.Path.Combine(dir.FullName, relative);
            }
        }

        throw new DirectoryNotFoundException($"no deploy/crds above {AppContext.BaseDirectory}");
    }

    public static string Read(string relative) => File.ReadAllText(Path(relative));

    public static string MeshManifests => Read("conformance/upstream/mesh/manifests.yaml");

    public static string MeshTest(string name) => Read($"conformance/upstream/tests/mesh/{name}");
}
