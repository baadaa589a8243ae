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
/// Only mappings of the executable and of ELF shared objects, which stay mapped until a dlclose (the sidecar closes
/// none), so an address read from smaps is still theirs at the call; private, not writable, and holding no page of
/// their own, in memory or in swap (no anonymous, dirty, swapped or locked page): those resident pages are the file's
/// own bytes, so mapping them again gives the same bytes. A read-only relocation table the loader wrote before
/// protecting it has pages of its own and is left alone: MADV_DONTNEED would drop what was written. Writable, shared
/// and anonymous mappings, managed assemblies the runtime maps itself, and any other file are never touched. Linux
/// only.
/// </remarks>
internal static partial class StartupPages
{
    private const int MadvDontNeed = 4;

    /// <summary>A mapping whose resident pages may be let go: its start address and length in bytes.</summary>
    internal readonly record struct Pages(ulong Start, ulong Length);

    /// <summary>Unmaps the resident pages of every mapping <see cref="Droppable"/> picks; returns how many bytes were resident in them.</summary>
    public static long Drop()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        List<(Pages Pages, long ResidentBytes)> droppable;
        try
        {
            using var smaps = new StreamReader("/proc/self/smaps");
            droppable = Droppable(smaps, Environment.ProcessPath);
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
        foreach (var (pages, residentBytes) in droppable)
        {
            if (MAdvise((nint)pages.Start, (nuint)pages.Length, MadvDontNeed) == 0)
            {
                dropped += residentBytes;
            }
        }

        return dropped;
    }

    /// <summary>
    /// The mappings of a <c>/proc/PID/smaps</c> text whose resident pages may be let go, with how many bytes of each are
    /// resident: mappings of <paramref name="executable"/> or of a shared object (<c>*.so</c>, <c>*.so.*</c>), private
    /// (<c>p</c>), readable and not writable, not deleted, with resident pages, and none of their own (anonymous,
    /// private dirty, swapped or locked). A mapping whose fields were not all read is not picked.
    /// </summary>
    internal static List<(Pages Pages, long ResidentBytes)> Droppable(TextReader smaps, string? executable)
    {
        var droppable = new List<(Pages Pages, long ResidentBytes)>();
        Mapping? current = null;
        while (smaps.ReadLine() is { } line)
        {
            if (Mapping.IsHeader(line))
            {
                Add(current);
                current = Mapping.Parse(line, executable); // null when unreadable: its fields are skipped
                continue;
            }

            if (current is null)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && Kilobytes(line.AsSpan(colon + 1)) is long kb)
            {
                current.Set(line.AsSpan(0, colon), kb);
            }
        }

        Add(current);
        return droppable;

        void Add(Mapping? mapping)
        {
            if (mapping is { IsDroppable: true })
            {
                droppable.Add((mapping.Pages, mapping.RssKb * 1024));
            }
        }
    }

    private static long? Kilobytes(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (!value.EndsWith(" kB", StringComparison.Ordinal))
        {
            return null;
        }

        return long.TryParse(value[..^3].TrimEnd(), NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : null;
    }

    private sealed class Mapping(Pages pages, bool candidate)
    {
        private static readonly System.Buffers.SearchValues<char> RangeCharacters = System.Buffers.SearchValues.Create("0123456789abcdef-");

        // Unknown until read (-1): a mapping whose fields were not all read is not droppable.
        private long _anonymousKb = -1;
        private long _privateDirtyKb = -1;
        private long _swapKb = -1;
        private long _lockedKb = -1;

        public Pages Pages { get; } = pages;

        public long RssKb { get; private set; } = -1;

        public bool IsDroppable => candidate && RssKb > 0 && _anonymousKb == 0 && _privateDirtyKb == 0 && _swapKb == 0 && _lockedKb == 0;

        public void Set(ReadOnlySpan<char> field, long kb)
        {
            switch (field)
            {
                case "Rss":
                    RssKb = kb;
                    break;
                case "Anonymous":
                    _anonymousKb = kb;
                    break;
                case "Private_Dirty":
                    _privateDirtyKb = kb;
                    break;
                case "Swap":
                    _swapKb = kb;
                    break;
                case "Locked":
                    _lockedKb = kb;
                    break;
            }
        }

        /// <summary>A mapping's first line (<c>start-end perms ...</c>), not a field line (<c>Name: value</c>).</summary>
        public static bool IsHeader(string line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var first = space < 0 ? line.AsSpan() : line.AsSpan(0, space);
            return first.Contains('-') && first.IndexOfAnyExcept(RangeCharacters) < 0;
        }

        /// <summary>
        /// Reads <c>start-end perms offset dev inode [path]</c> (the path may hold spaces); null when it does not read.
        /// </summary>
        public static Mapping? Parse(string line, string? executable)
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5)
            {
                return null;
            }

            var range = fields[0];
            var dash = range.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0
                || !ulong.TryParse(range.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(range.AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
                || end <= start || fields[1].Length != 4)
            {
                return null;
            }

            var perms = fields[1];
            var path = fields.Length == 6 ? fields[5].Trim() : "";
            var readOnlyPrivate = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p';
            return new Mapping(new Pages(start, end - start), readOnlyPrivate && IsLoadedImage(path, executable));
        }

        // The executable or an ELF shared object, as the dynamic linker mapped it: a path, not deleted.
        private static bool IsLoadedImage(string path, string? executable)
        {
            if (!path.StartsWith('/') || path.EndsWith("(deleted)", StringComparison.Ordinal))
            {
                return false;
            }

            if (executable is not null && path == executable)
            {
                return true;
            }

            var name = Path.GetFileName(path.AsSpan());
            return name.EndsWith(".so", StringComparison.Ordinal) || name.Contains(".so.", StringComparison.Ordinal);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int MAdvise(nint address, nuint length, int advice);
}
