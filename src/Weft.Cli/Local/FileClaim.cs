namespace Weft.Cli.Local;

/// <summary>
/// An exclusive claim, among the processes of this machine, on a name (an address block): an flock(2) on a lock file
/// (.NET's <see cref="FileShare.None"/> on Linux, per open file, so two claims in one process exclude each other too),
/// released by the kernel when the holder closes it or dies, however it dies. The file stays when released: deleting it
/// would let a process that opened it just before lock the unlinked file while a third creates a new one, and both would
/// hold "the" claim.
/// </summary>
internal static class FileClaim
{
    /// <summary>The claim on <paramref name="path"/>, or null when another holds it (or the file cannot be opened).</summary>
    public static IDisposable? TryAcquire(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
