using System.Security.Cryptography;
using System.Text.Json;

namespace Weft.Proxy.Tests;

/// <summary>
/// Once started, a sidecar lets go of the file pages it touched only while starting (<see cref="StartupPages"/>): only
/// pages it can get back byte for byte from their file.
/// </summary>
public sealed class StartupPagesTests
{
    private const string Smaps = """
        55d0c0a00000-55d0c1400000 r-xp 00100000 08:01 1234                       /opt/weft/weft-proxy
        Size:              10240 kB
        Rss:                7000 kB
        Pss:                3500 kB
        Anonymous:             0 kB
        AnonHugePages:         0 kB
        Locked:                0 kB
        VmFlags: rd ex mr mw me dw
        55d0c1400000-55d0c1500000 r--p 00b00000 08:01 1234                       /opt/weft/weft-proxy
        Rss:                 900 kB
        Anonymous:            64 kB
        Locked:                0 kB
        55d0c1500000-55d0c1600000 rw-p 00c00000 08:01 1234                       /opt/weft/weft-proxy
        Rss:                1024 kB
        Anonymous:          1024 kB
        Locked:                0 kB
        7f0000000000-7f0000400000 rw-p 00000000 00:00 0
        Rss:                4096 kB
        Anonymous:          4096 kB
        Locked:                0 kB
        7f0000400000-7f0000500000 r--p 00000000 00:00 0
        Rss:                  40 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7f0000500000-7f0000600000 r--s 00000000 00:05 77                         /memfd:doublemapper (deleted)
        Rss:                  12 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7f0000600000-7f0000700000 r-xp 00000000 00:05 78                         /memfd:doublemapper (deleted)
        Rss:                  12 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7f0000700000-7f0000800000 r--p 00000000 00:05 6                          /dev/zero
        Rss:                   4 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7f0000800000-7f0000900000 r--p 00000000 08:01 99                         /usr/lib/libgone.so (deleted)
        Rss:                   8 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7f0000900000-7f0000a00000 r--p 00000000 08:01 100                        /usr/lib/x86_64-linux-gnu/libcrypto.so.3
        Rss:                   0 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7f0000a00000-7f0000b00000 r-xp 00100000 08:01 100                        /usr/lib/x86_64-linux-gnu/libcrypto.so.3
        Rss:                2548 kB
        Anonymous:             0 kB
        Locked:                4 kB
        7f0000b00000-7f0000c00000 r--p 00000000 08:01 101                        /opt/my app/lib with spaces.so
        Rss:                 128 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7ffc00000000-7ffc00002000 r-xp 00000000 00:00 0                          [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        Locked:                0 kB
        7f0000c00000-7f0000d00000 r--p 00000000 08:01 102                        /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                 640 kB
        """;

    [Fact]
    public void Only_private_read_only_file_mappings_holding_no_anonymous_or_locked_page_are_let_go()
    {
        var picked = StartupPages.Droppable(Smaps).ToList();

        Assert.Equal(
            [
                (new StartupPages.Range(0x55d0c0a00000, 0xa00000), 7000L * 1024),
                (new StartupPages.Range(0x7f0000b00000, 0x100000), 128L * 1024),
            ],
            picked);
    }

    [Fact]
    public void A_process_that_lets_go_of_its_file_pages_runs_on_with_the_same_bytes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var data = RandomNumberGenerator.GetBytes(4096);
        var digest = SHA256.HashData(data);
        var json = JsonSerializer.Serialize(new { Name = "weft", Count = 3 });

        var dropped = StartupPages.Drop();

        Assert.True(dropped > 0, "this test process maps its runtime's files, and has touched some of their pages");
        // Code and constants come back from the page cache: hashing, serialising and a GC give what they gave before.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Assert.Equal(digest, SHA256.HashData(data));
        Assert.Equal(json, JsonSerializer.Serialize(new { Name = "weft", Count = 3 }));
    }
}
