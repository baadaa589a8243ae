using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Weft.Cli.Local;

/// <summary>
/// A directory this user may trust to hold what only it should write or read (a run's state, the mesh CA's key, the
/// environment <c>weft exec</c> gives a command): made with mode 0700 if missing, and refused if it is a link, is
/// another user's, or others may write to it — as when another local user created <c>/tmp/weft-&lt;uid&gt;</c> first.
/// </summary>
internal static partial class OwnDirectory
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxMode = 0x2;
    private const uint StatxUid = 0x8;
    private const int TypeMask = 0xF000;
    private const int TypeDirectory = 0x4000;

    /// <summary>Makes or checks <paramref name="path"/>; throws <see cref="UnauthorizedAccessException"/> saying why it may not be used.</summary>
    public static string Ensure(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (!OperatingSystem.IsLinux())
        {
            return path;
        }

        // statx(2): one fixed layout on every architecture (uid at 20, mode at 28), unlike stat(2)'s.
        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxMode | StatxUid, buffer) != 0)
        {
            throw new UnauthorizedAccessException($"{path}: cannot check its owner (errno {Marshal.GetLastPInvokeError()})");
        }

        var owner = BinaryPrimitives.ReadUInt32LittleEndian(buffer[20..]);
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        var me = GetEuid();
        if ((mode & TypeMask) != TypeDirectory || owner != me || (mode & 0x12) != 0)
        {
            throw new UnauthorizedAccessException(string.Create(CultureInfo.InvariantCulture,
                $"{path} is not a directory of this user's own (owner uid {owner}, mode {Convert.ToString(mode & 0xFFF, 8)}; this user is uid {me}): remove it, or set XDG_RUNTIME_DIR"));
        }

        return path;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
