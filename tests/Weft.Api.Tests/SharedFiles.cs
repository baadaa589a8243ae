namespace Weft.Api.Tests;

/// <summary>Finds the shared conformance data by walking up from the test binary (the files are read in place, never copied).</summary>
internal static class SharedFiles
{
    public static string ConformanceDir { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "conformance");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"no shared/conformance above {AppContext.BaseDirectory}");
    }

    /// <summary>The repository (the worktree the test binary was built in): the directory above it that holds deploy/crds.</summary>
    public static string Repository { get; } = FindRepository();

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "deploy", "crds")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no deploy/crds above {AppContext.BaseDirectory}");
    }

    public static IEnumerable<string> MeshManifests() =>
        Directory.GetFiles(Path.Combine(ConformanceDir, "upstream", "mesh"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(ConformanceDir, "upstream", "tests", "mesh"), "*.yaml"))
            .Order(StringComparer.Ordinal);
}
