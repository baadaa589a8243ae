namespace Weft.ControlPlane.Identity;

/// <summary>
/// Identity files (the control plane's root key and token key; the token and trust bundle a sidecar reads): written
/// whole or not at all, secrets readable by the owner only from the moment they exist.
/// </summary>
public static class IdentityFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Writes to a temporary file then renames it, so that a crash never leaves half a key behind and a reader never sees
    /// half a token; <paramref name="overwrite"/> replaces an existing file (a renewed token), else an existing one is an error.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content, bool secret, bool overwrite = false)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                // The state directory holds the root key: only its owner lists it.
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
