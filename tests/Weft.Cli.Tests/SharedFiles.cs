namespace Weft.Cli.Tests;

/// <summary>Finds the steering repo's shared files (read at test time, never copied): the directory containing shared/conformance.</summary>
internal static class SharedFiles
{
    public static string ConformanceCases => Path.Combine(Root, "shared", "conformance", "cases");

    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "shared", "conformance")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException($"no shared/conformance above {AppContext.BaseDirectory}");
        }
    }
}
