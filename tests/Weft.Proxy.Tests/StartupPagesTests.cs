using System.Security.Cryptography;
using System.Text.Json;

namespace Weft.Proxy.Tests;

/// <summary>
/// Once started, a sidecar lets go of the file pages it touched only while starting (<see cref="StartupPages"/>): only
/// pages it can get back byte for byte from their file.
/// </summary>
public sealed class StartupPagesTests
{
    private const string Executable = "/opt/weft/weft-proxy";

    // Each mapping names, in its path, whether it is to be picked ("pick") and otherwise why not. Every field is there
    // unless the case is about a missing one.
    private const string Smaps = """
        55d0c0a00000-55d0c1400000 r-xp 00100000 08:01 1234                       /opt/weft/weft-proxy
        Size:              10240 kB
        Rss:                7000 kB
        Pss:                3500 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        AnonHugePages:         0 kB
        Swap:                  0 kB
        Locked:                0 kB
        VmFlags: rd ex mr mw me dw
        55d0c1400000-55d0c1500000 r--p 00b00000 08:01 1234                       /opt/weft/weft-proxy
        Rss:                 900 kB
        Private_Dirty:        64 kB
        Anonymous:            64 kB
        Swap:                  0 kB
        Locked:                0 kB
        55d0c1500000-55d0c1600000 rw-p 00c00000 08:01 1234                       /opt/weft/weft-proxy
        Rss:                  16 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000000000-7f0000100000 r--p 00000000 08:01 200                        /usr/lib/relro-swapped.so
        Rss:                  12 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  8 kB
        Locked:                0 kB
        7f0000100000-7f0000200000 r--p 00000000 08:01 201                        /usr/lib/dirty.so
        Rss:                  12 kB
        Private_Dirty:         4 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000200000-7f0000300000 r--s 00000000 08:01 202                        /usr/lib/shared.so
        Rss:                  12 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000300000-7f0000400000 ---p 00000000 08:01 203                        /usr/lib/no-access.so
        Rss:                  12 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000400000-7f0000500000 r--p 00000000 00:00 0
        Rss:                  40 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000500000-7f0000600000 r-xp 00000000 00:05 78                         /memfd:doublemapper (deleted)
        Rss:                  12 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000600000-7f0000700000 r--p 00000000 00:05 6                          /dev/zero
        Rss:                   4 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000700000-7f0000800000 r--p 00000000 08:01 99                         /usr/lib/libgone.so (deleted)
        Rss:                   8 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000800000-7f0000900000 r-xp 00000000 08:01 300                        /usr/share/dotnet/shared/System.Private.CoreLib.dll
        Rss:                 512 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000900000-7f0000a00000 r--p 00000000 08:01 301                        /usr/share/zoneinfo/data.bin
        Rss:                  64 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000a00000-7f0000b00000 r--p 00000000 08:01 100                        /usr/lib/x86_64-linux-gnu/libcrypto.so.3
        Rss:                   0 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000b00000-7f0000c00000 r-xp 00100000 08:01 100                        /usr/lib/x86_64-linux-gnu/libcrypto.so.3
        Rss:                2548 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                4 kB
        7f0000c00000-7f0000d00000 r-xp 00000000 08:01 102                        /opt/my app/libwith spaces.so
        Rss:                 128 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000d00000-7f0000e00000 r--p 00000000 08:01 103                        /usr/lib/libnoswapline.so
        Rss:                  16 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Locked:                0 kB
        zzzz-not-a-header r--p 00000000 08:01 104                                 /usr/lib/after-garbage.so
        Rss:                  16 kB
        7ffc00000000-7ffc00002000 r-xp 00000000 00:00 0                          [vdso]
        Rss:                   8 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        7f0000e00000-7f0000f00000 r--p 00000000 08:01 105                        /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                 640 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        """;

    [Fact]
    public void Only_read_only_private_pages_of_the_executable_and_shared_objects_that_are_the_files_own_bytes_are_let_go()
    {
        var picked = StartupPages.Droppable(new StringReader(Smaps), Executable);

        Assert.Equal(
            [
                (new StartupPages.Pages(0x55d0c0a00000, 0xa00000), 7000L * 1024), // the executable's code
                (new StartupPages.Pages(0x7f0000c00000, 0x100000), 128L * 1024), // a shared object, a path with spaces
                (new StartupPages.Pages(0x7f0000e00000, 0x100000), 640L * 1024), // the last mapping
            ],
            picked);
    }

    [Fact]
    public void The_executable_is_known_by_its_path_not_by_its_name()
    {
        var picked = StartupPages.Droppable(new StringReader(Smaps), executable: null);

        Assert.DoesNotContain(picked, p => p.Pages.Start == 0x55d0c0a00000);
    }

    [Fact]
    public void A_process_that_lets_go_of_its_file_pages_runs_on_with_the_same_bytes()
    {
        var data = RandomNumberGenerator.GetBytes(4096);
        var digest = SHA256.HashData(data);
        var json = JsonSerializer.Serialize(new { Name = "weft", Count = 3 });
        var before = Resident();

        var dropped = StartupPages.Drop();
        var after = Resident().Where(m => before.ContainsKey(m.Key)).Sum(m => m.Value);

        Assert.True(dropped > 0, "this process maps its host executable and shared objects, and has touched some of their pages");
        // Other threads of this process fault some pages back in at once; not all of them, in the moment this takes.
        Assert.True(after < before.Values.Sum(), $"resident in the picked mappings: {before.Values.Sum()} bytes before, {after} bytes after");
        // Code and constants come back from the page cache: hashing, serialising and a GC give what they gave before.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Assert.Equal(digest, SHA256.HashData(data));
        Assert.Equal(json, JsonSerializer.Serialize(new { Name = "weft", Count = 3 }));
    }

    // Resident bytes of each mapping the drop picks now (one whose pages all went is no longer picked: none resident).
    private static Dictionary<ulong, long> Resident()
    {
        using var smaps = new StreamReader("/proc/self/smaps");
        return StartupPages.Droppable(smaps, Environment.ProcessPath).ToDictionary(m => m.Pages.Start, m => m.ResidentBytes);
    }
}
