using System.Globalization;
using System.Runtime.InteropServices;

namespace Weft.Proxy;

/// <summary>
/// Lets go of the file pages a sidecar touched only while starting. Most of its resident memory when idle is file pages:
/// its own binary's code and constants, libcrypto's and libc's, mapped as the runtime, the host, TLS and the first
/// policies were set up, and never touched again (bench/RESULTS.md: 19.6 of an idle AOT sidecar's 30 MB). Once ready,
/// the sidecar unmaps the resident pages of its read-only file mappings (<c>madvise(MADV_DONTNEED)</c>); the pages it
/// uses again come back from the page cache, a minor fault each (and the kernel maps their cached neighbours with them).
/// Measured (bench/RESULTS.md): an AOT sidecar in a mesh drops from 19.8 to 5.5 MB of file pages, and is back at 13.6 MB
/// within a second, as it takes its first policies; idle RSS 29-30 → 23-25 MB.
/// </summary>
/// <remarks>
/// Only mappings that are private, not writable, backed by a regular file, and hold no anonymous page: those pages are
/// the file's own bytes, so mapping them again gives the same bytes. A mapping with an anonymous page (a read-only
/// relocation table the loader wrote before protecting it, say) is left alone: MADV_DONTNEED would drop what was
/// written. Writable, shared and anonymous mappings are never touched. Linux only.
/// </remarks>
internal static partial class StartupPages
{
    private const int MadvDontNeed = 4;

    /// <summary>A mapping whose resident pages may be let go: its start and length in bytes.</summary>
    internal readonly record struct Range(ulong Start, ulong Length);

    /// <summary>Unmaps the resident pages of every mapping <see cref="Droppable"/> picks; returns how many bytes were resident in them.</summary>
    public static long Drop()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        string smaps;
        try
        {
            smaps = File.ReadAllText("/proc/self/smaps");
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }

        long dropped = 0;
        foreach (var (range, residentBytes) in Droppable(smaps))
        {
            if (MAdvise((nint)range.Start, (nuint)range.Length, MadvDontNeed) == 0)
            {
                dropped += residentBytes;
            }
        }

        return dropped;
    }

    /// <summary>
    /// The mappings of a <c>/proc/PID/smaps</c> text whose resident pages may be let go, with how many bytes of each are
    /// resident: private (<c>p</c>), readable and not writable, backed by a regular file (a path, not <c>/dev/</c>, not a
    /// memfd, not deleted), with resident pages and no anonymous or locked one.
    /// </summary>
    internal static List<(Range Range, long ResidentBytes)> Droppable(string smaps)
    {
        var droppable = new List<(Range Range, long ResidentBytes)>();
        Mapping? current = null;
        foreach (var line in smaps.AsSpan().EnumerateLines())
        {
            if (Mapping.TryParseHeader(line, out var header))
            {
                if (current is { IsDroppable: true } done)
                {
                    droppable.Add((done.Range, done.RssKb * 1024));
                }

                current = header;
                continue;
            }

            if (current is null)
            {
                continue;
            }

            if (Field(line, "Rss:") is long rss)
            {
                current.RssKb = rss;
            }
            else if (Field(line, "Anonymous:") is long anonymous)
            {
                current.AnonymousKb = anonymous;
            }
            else if (Field(line, "Locked:") is long locked)
            {
                current.LockedKb = locked;
            }
        }

        if (current is { IsDroppable: true } last)
        {
            droppable.Add((last.Range, last.RssKb * 1024));
        }

        return droppable;
    }

    private static long? Field(ReadOnlySpan<char> line, string name)
    {
        if (!line.StartsWith(name, StringComparison.Ordinal))
        {
            return null;
        }

        var value = line[name.Length..].Trim();
        var space = value.IndexOf(' ');
        return long.TryParse(space < 0 ? value : value[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : null;
    }

    private sealed class Mapping
    {
        private Mapping(Range range, bool readOnlyPrivateFile)
        {
            Range = range;
            ReadOnlyPrivateFile = readOnlyPrivateFile;
        }

        public Range Range { get; }

        private bool ReadOnlyPrivateFile { get; }

        // Unknown until read: a mapping whose fields were not all read is not droppable.
        public long RssKb { get; set; } = -1;

        public long AnonymousKb { get; set; } = -1;

        public long LockedKb { get; set; } = -1;

        public bool IsDroppable => ReadOnlyPrivateFile && RssKb > 0 && AnonymousKb == 0 && LockedKb == 0;

        /// <summary>A mapping's first line: <c>start-end perms offset dev inode [path]</c>.</summary>
        public static bool TryParseHeader(ReadOnlySpan<char> line, out Mapping mapping)
        {
            mapping = null!;
            var dash = line.IndexOf('-');
            var space = line.IndexOf(' ');
            if (dash <= 0 || space <= dash
                || !ulong.TryParse(line[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(line[(dash + 1)..space], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
                || end <= start)
            {
                return false;
            }

            var rest = line[(space + 1)..];
            if (rest.Length < 4)
            {
                return false;
            }

            var perms = rest[..4];
            // offset, dev, inode, then the path (which may hold spaces); five fields before it.
            var path = rest;
            for (var i = 0; i < 4; i++)
            {
                var gap = path.IndexOf(' ');
                if (gap < 0)
                {
                    path = [];
                    break;
                }

                path = path[(gap + 1)..].TrimStart(' ');
            }

            var readOnlyPrivate = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p';
            var regularFile = path.StartsWith('/') && !path.StartsWith("/dev/", StringComparison.Ordinal)
                && !path.StartsWith("/memfd:", StringComparison.Ordinal) && !path.EndsWith("(deleted)", StringComparison.Ordinal);
            mapping = new Mapping(new Range(start, end - start), readOnlyPrivate && regularFile);
            return true;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int MAdvise(nint address, nuint length, int advice);
}
