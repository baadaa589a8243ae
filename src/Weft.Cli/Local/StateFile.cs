using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weft.Cli.Local;

/// <summary>
/// Where a running <c>weft up DIR</c> keeps its <see cref="MeshState"/>: <c>&lt;runtime root&gt;/&lt;hash of DIR&gt;/state.json</c>
/// (<see cref="RuntimeRoot"/>). The hash is the first 12 hex digits of SHA-256 of DIR's full path, so one
/// directory has one state file and two runs of different directories do not collide. Pod logs go next to it, in
/// <c>logs/</c>.
/// </summary>
internal static class StateFile
{
    public const string FileName = "state.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The per-user root: <c>$XDG_RUNTIME_DIR/weft</c>; for root without it <c>/run/weft/state</c> (a directory only root
    /// can create: a run's state names the environment <c>weft exec</c> gives a root command, and holds the mesh CA's key,
    /// so another user must not be able to plant or read it, as they could by creating <c>/tmp/weft-0</c> first);
    /// otherwise <c>/tmp/weft-&lt;uid&gt;</c>. Made with mode 0700, and refused when another user owns it or may write to
    /// it (<see cref="OwnDirectory"/>).
    /// </summary>
    public static string RuntimeRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return OwnDirectory.Ensure(!string.IsNullOrEmpty(xdg) && Directory.Exists(xdg) ? Path.Combine(xdg, "weft")
            : Environment.IsPrivilegedProcess && Directory.Exists("/run") ? Path.Combine("/run", "weft", "state")
            : Path.Combine(Path.GetTempPath(), $"weft-{UserId()}"));
    }

    /// <summary>The run directory of manifests directory <paramref name="manifestDirectory"/>.</summary>
    public static string RunDirectory(string manifestDirectory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(manifestDirectory));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12];
        return Path.Combine(RuntimeRoot(), hash);
    }

    public static string PathFor(string manifestDirectory) => Path.Combine(RunDirectory(manifestDirectory), FileName);

    public static void Write(string path, MeshState state)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Write-then-rename so a reader never sees half a file.
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(state, Json));
        File.Move(temp, path, overwrite: true);
    }

    public static MeshState? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<MeshState>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Finds the state of a running mesh: <paramref name="explicitPath"/> if given; else the state of
    /// <paramref name="manifestDirectory"/> if given; else the only live one under <see cref="RuntimeRoot"/>.
    /// </summary>
    public static (MeshState? State, string? Error) Find(string? explicitPath, string? manifestDirectory)
    {
        try
        {
            return FindIn(explicitPath, manifestDirectory);
        }
        catch (UnauthorizedAccessException e)
        {
            return (null, e.Message);
        }
    }

    private static (MeshState? State, string? Error) FindIn(string? explicitPath, string? manifestDirectory)
    {
        if (explicitPath is not null || manifestDirectory is not null)
        {
            var path = explicitPath ?? PathFor(manifestDirectory!);
            var state = TryRead(path);
            return state is null
                ? (null, $"no running local mesh: cannot read state file {path} (start one with `weft up DIR`)")
                : IsLive(state) ? (state, null) : (null, $"the local mesh in {path} is not running (process {state.Pid} is gone)");
        }

        var root = RuntimeRoot();
        var live = Directory.Exists(root)
            ? Directory.EnumerateDirectories(root)
                .Select(d => (Path: Path.Combine(d, FileName), State: TryRead(Path.Combine(d, FileName))))
                .Where(s => s.State is not null && IsLive(s.State))
                .ToList()
            : [];
        return live.Count switch
        {
            0 => (null, "no running local mesh found (start one with `weft up DIR`, or pass --dir DIR or --state FILE)"),
            1 => (live[0].State, null),
            _ => (null, "several local meshes are running; pick one with --dir DIR (the directory weft up runs) or --state FILE:\n"
                + string.Join('\n', live.Select(s => $"  --dir {s.State!.ManifestDirectory}   (--state {s.Path})"))),
        };
    }

    private static bool IsLive(MeshState state)
    {
        try
        {
            using var process = Process.GetProcessById(state.Pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string UserId()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1];
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Environment.UserName;
    }
}
