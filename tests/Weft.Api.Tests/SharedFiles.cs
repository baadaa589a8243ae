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

    public static IEnumerable<string> MeshManifests() =>
        Directory.GetFiles(Path.Combine(ConformanceDir, "upstream", "mesh"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(ConformanceDir, "upstream", "tests", "mesh"), "*.yaml"))
            .Order(StringComparer.Ordinal);
}
