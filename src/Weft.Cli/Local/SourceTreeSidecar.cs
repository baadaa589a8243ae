using System.Xml.Linq;

namespace Weft.Cli.Local;

/// <summary>
/// The Native AOT sidecar of a Weft source tree, where <c>scripts/aot-sidecar.sh</c> builds it (<c>./weft up</c> and
/// <c>./test.sh</c> call it): <c>artifacts/weft-proxy/weft-proxy</c>, with the <c>.built</c> stamp touched before a publish
/// that succeeded started, and the reason it could not be built in <c>.unavailable</c>. It is current when none of its
/// sources (<see cref="Sources"/>, the same list as the script's <c>aot_sidecar_sources</c>) changed after that stamp:
/// a sidecar older than the code weft runs with must never run.
/// </summary>
internal sealed record SourceTreeSidecar(string Root)
{
    public string Directory => Path.Combine(Root, "artifacts", "weft-proxy");

    public string Binary => Path.Combine(Directory, "weft-proxy");

    /// <summary>The binary as the tree's people name it (relative to the root).</summary>
    public static string DisplayBinary => Path.Combine("artifacts", "weft-proxy", "weft-proxy");

    public string Stamp => Path.Combine(Directory, ".built");

    public string UnavailableFile => Path.Combine(Directory, ".unavailable");

    /// <summary>The source tree <paramref name="directory"/> is in (its <c>Weft.slnx</c> beside <c>src/Weft.Proxy</c>), or null.</summary>
    public static SourceTreeSidecar? Above(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Weft.slnx")) && System.IO.Directory.Exists(Path.Combine(dir.FullName, ProxyProject)))
            {
                return new SourceTreeSidecar(dir.FullName);
            }
        }

        return null;
    }

    /// <summary>
    /// Why the built sidecar may not run, or null when it may: not built, or older than one of its sources (named); the
    /// build script's reason when it left one (it could not build it).
    /// </summary>
    public string? Unusable()
    {
        var stamped = File.Exists(Binary) && File.Exists(Stamp);
        var newer = stamped ? NewerSource(File.GetLastWriteTimeUtc(Stamp)) : null;
        if (stamped && newer is null)
        {
            return null;
        }

        if (File.Exists(UnavailableFile) && File.ReadAllText(UnavailableFile).Trim() is { Length: > 0 } reason)
        {
            return reason;
        }

        return !File.Exists(Binary) ? $"{DisplayBinary} is not built (./weft up builds it)"
            : newer is null ? $"{DisplayBinary} was not built by scripts/aot-sidecar.sh (./weft up rebuilds it)"
            : $"{DisplayBinary} is older than {Path.GetRelativePath(Root, newer)} (./weft up rebuilds it)";
    }

    /// <summary>
    /// The sidecar's sources, relative to the root: <c>src/Weft.Proxy</c> and the project directories it references,
    /// transitively, then the build files at the root. (A change to the CLI or the control plane alone does not change it.)
    /// </summary>
    public IReadOnlyList<string> Sources()
    {
        var projects = new List<string>();
        var todo = new Queue<string>([ProxyProject]);
        while (todo.TryDequeue(out var project))
        {
            if (projects.Contains(project))
            {
                continue;
            }

            projects.Add(project);
            foreach (var csproj in System.IO.Directory.EnumerateFiles(Path.Combine(Root, project), "*.csproj"))
            {
                foreach (var reference in XDocument.Load(csproj).Descendants("ProjectReference"))
                {
                    if (reference.Attribute("Include")?.Value is { Length: > 0 } include)
                    {
                        var referenced = Path.GetDirectoryName(Path.GetFullPath(Path.Combine(Root, project, include.Replace('\\', '/'))))!;
                        todo.Enqueue(Path.GetRelativePath(Root, referenced));
                    }
                }
            }
        }

        return [.. projects, .. RootBuildFiles];
    }

    /// <summary>A source file changed after <paramref name="stamp"/> (as <c>find -newer</c> sees it), or null.</summary>
    public string? NewerSource(DateTime stamp)
    {
        foreach (var source in Sources().Select(s => Path.Combine(Root, s)))
        {
            if (File.Exists(source))
            {
                if (File.GetLastWriteTimeUtc(source) > stamp)
                {
                    return source;
                }

                continue;
            }

            if (!System.IO.Directory.Exists(source))
            {
                continue;
            }

            var newer = new DirectoryInfo(source)
                .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .FirstOrDefault(f => SourceExtensions.Contains(f.Extension) && !InBuildOutput(source, f.FullName) && f.LastWriteTimeUtc > stamp);
            if (newer is not null)
            {
                return newer.FullName;
            }
        }

        return null;
    }

    private const string ProxyProject = "src/Weft.Proxy";

    private static readonly string[] RootBuildFiles = ["Directory.Build.props", "Directory.Packages.props", "global.json"];

    /// <summary>What ./weft and scripts/aot-sidecar.sh count as a source (the <c>find -name</c> patterns of scripts/sources-newer.sh).</summary>
    internal static readonly HashSet<string> SourceExtensions = [".cs", ".csproj", ".proto", ".props", ".json", ".targets", ".order"];

    private static bool InBuildOutput(string project, string file) =>
        Path.GetRelativePath(project, file).Split(Path.DirectorySeparatorChar) is var parts && parts.SkipLast(1).Any(p => p is "obj" or "bin");
}
