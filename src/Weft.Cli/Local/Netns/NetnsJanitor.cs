using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Cli.Local.Netns;

/// <summary>
/// Finds and removes what a network-namespace run left on the host when it could not clean up (killed, crashed, power
/// cut): its pod namespaces (<c>weft-&lt;index&gt;-…</c>, and any process still in them), its bridge
/// (<c>wft&lt;index&gt;</c>, which takes its routes with it), stray veths (<c>wft&lt;index&gt;p&lt;n&gt;</c>) and its
/// resolver files (<c>/etc/netns/weft-&lt;index&gt;-…</c>). A block is only cleaned while its <see cref="NetnsBlockLock"/>
/// is held, so a live run's network is never touched.
/// </summary>
internal static partial class NetnsJanitor
{
    public static string ResolverRoot { get; } = "/etc/netns";

    /// <summary>Every block index something on the host is named after.</summary>
    public static async Task<IReadOnlySet<int>> LeftoverBlocksAsync(CancellationToken ct)
    {
        var blocks = new SortedSet<int>();
        foreach (var name in await NetnsNamesAsync(ct))
        {
            if (BlockOfNetns(name) is int index)
            {
                blocks.Add(index);
            }
        }

        foreach (var link in await LinkNamesAsync(ct))
        {
            if (BlockOfLink(link) is int index)
            {
                blocks.Add(index);
            }
        }

        foreach (var directory in ResolverDirectories())
        {
            if (BlockOfNetns(Path.GetFileName(directory)) is int index)
            {
                blocks.Add(index);
            }
        }

        return blocks;
    }

    /// <summary>Cleans every leftover block no live run holds; says on <paramref name="progress"/> what it removed.</summary>
    public static async Task SweepAsync(TextWriter? progress, CancellationToken ct)
    {
        foreach (var index in await LeftoverBlocksAsync(ct))
        {
            using var claim = NetnsBlockLock.TryAcquire(index);
            if (claim is null)
            {
                continue; // a live run's
            }

            var removed = await CleanAsync(index, ct);
            if (removed.Count > 0)
            {
                progress?.WriteLine($"removed what a stopped run left in network block {index}: {string.Join(", ", removed)}");
            }
        }
    }

    /// <summary>Removes everything of block <paramref name="index"/> (the caller holds its lock); returns what it removed.</summary>
    public static async Task<IReadOnlyList<string>> CleanAsync(int index, CancellationToken ct)
    {
        var removed = new List<string>();
        foreach (var name in (await NetnsNamesAsync(ct)).Where(n => BlockOfNetns(n) == index))
        {
            await KillProcessesInAsync(name, ct);
            await HostProgram.RunAsync("ip", ["netns", "delete", name], ct: ct);
            removed.Add($"namespace {name}");
        }

        foreach (var link in (await LinkNamesAsync(ct)).Where(l => BlockOfLink(l) == index).OrderByDescending(l => l.Length))
        {
            // Veths first (longer names), then the bridge; a veth may already be gone with its namespace.
            if ((await HostProgram.RunAsync("ip", ["link", "delete", link], ct: ct)).Succeeded)
            {
                removed.Add($"link {link}");
            }
        }

        foreach (var directory in ResolverDirectories().Where(d => BlockOfNetns(Path.GetFileName(d)) == index))
        {
            TryDeleteDirectory(directory);
            removed.Add(directory);
        }

        return removed;
    }

    /// <summary>SIGKILL to every process still in the namespace (a crashed run's apps), so that deleting it frees it.</summary>
    public static async Task KillProcessesInAsync(string netns, CancellationToken ct)
    {
        var pids = await HostProgram.RunAsync("ip", ["netns", "pids", netns], ct: ct);
        foreach (var line in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    public static int? BlockOfNetns(string name) => NetnsName().Match(name) is { Success: true } m ? Parse(m.Groups[1].Value) : null;

    public static int? BlockOfLink(string name) => LinkName().Match(name) is { Success: true } m ? Parse(m.Groups[1].Value) : null;

    public static async Task<IReadOnlyList<string>> NetnsNamesAsync(CancellationToken ct)
    {
        // "weft-3-shop-client-6d9f (id: 2)" or just the name.
        var list = await HostProgram.RunAsync("ip", ["netns", "list"], ct: ct);
        return [.. list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0])];
    }

    public static async Task<IReadOnlyList<string>> LinkNamesAsync(CancellationToken ct)
    {
        // "12: wft3: <BROADCAST,…" and "14: wft3p2@if2: <…" (ip -o link).
        var list = await HostProgram.RunAsync("ip", ["-o", "link", "show"], ct: ct);
        return [.. list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3))
            .Where(p => p.Length >= 2)
            .Select(p => p[1].Trim().Split('@')[0])];
    }

    private static IEnumerable<string> ResolverDirectories() =>
        Directory.Exists(ResolverRoot) ? Directory.EnumerateDirectories(ResolverRoot, NetnsBlock.NetnsPrefix + "*") : [];

    private static int? Parse(string digits) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"^weft-(\d{1,6})-")]
    private static partial Regex NetnsName();

    [GeneratedRegex(@"^wft(\d{1,6})(p\d{1,3})?$")]
    private static partial Regex LinkName();
}
