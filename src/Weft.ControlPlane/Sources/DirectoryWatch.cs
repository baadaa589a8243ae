using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace Weft.ControlPlane.Sources;

/// <summary>
/// A manifests directory watched for changes: its manifest files (<c>*.yaml</c>, <c>*.yml</c>, <c>*.json</c>, recursively,
/// sorted), a hash of their names and contents, and a wait that ends on a file event or after a rescan interval.
/// FileSystemWatcher misses events (overflow, some editors' rename dance, network file systems) or may not be available
/// (inotify limits), so a reader rescans on the interval too and compares hashes. Shared by the store's
/// <see cref="DirectorySource"/> and <c>weft up --kubeconfig</c>'s applier.
/// </summary>
public sealed class DirectoryWatch : IDisposable
{
    private readonly IReadOnlySet<string> _ignored;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly FileSystemWatcher? _watcher;
    private Task<bool>? _signalled;

    /// <param name="directory">The directory to watch, with its subdirectories.</param>
    /// <param name="ignoredFileNames">File names that are not manifests though they end in .yaml (the local mode's image map).</param>
    public DirectoryWatch(string directory, IReadOnlySet<string>? ignoredFileNames = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        _ignored = ignoredFileNames ?? new HashSet<string>();
        try
        {
            _watcher = new FileSystemWatcher(Directory)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Deleted += OnFileEvent;
            _watcher.Renamed += OnFileEvent;
            _watcher.Error += (_, _) => _changed.Writer.TryWrite(true);
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // No watcher (missing directory, inotify limits): the periodic rescan still sees every change.
            _watcher?.Dispose();
            _watcher = null;
            Unavailable = e.Message;
        }
    }

    public string Directory { get; }

    /// <summary>Why there are no file events (the rescan alone sees changes), or null when there are.</summary>
    public string? Unavailable { get; }

    /// <summary>The manifest files, sorted by path; none when the directory cannot be read.</summary>
    public IReadOnlyList<string> Files() => ManifestFiles(Directory, _ignored);

    /// <summary>The manifest files of <paramref name="directory"/> but <paramref name="ignoredFileNames"/>, sorted by path; none when it cannot be read.</summary>
    public static IReadOnlyList<string> ManifestFiles(string directory, IReadOnlySet<string> ignoredFileNames)
    {
        ArgumentNullException.ThrowIfNull(ignoredFileNames);
        try
        {
            return [.. System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                .Where(f => Weft.Api.ManifestLoader.ManifestExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase) && !ignoredFileNames.Contains(Path.GetFileName(f)))
                .Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>SHA-256 over the files' paths and contents; an unreadable file makes the hash unique (read again next time).</summary>
    public static byte[] ContentHash(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\0"));
            try
            {
                hash.AppendData(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                hash.AppendData(Guid.NewGuid().ToByteArray());
            }

            hash.AppendData("\0"u8);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Waits for a file event or <paramref name="rescanInterval"/>, whichever comes first; true when an event came. One
    /// wait on the event channel stays outstanding between calls, so that none is lost and none piles up.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan rescanInterval, TimeProvider time, CancellationToken ct)
    {
        _signalled ??= _changed.Reader.WaitToReadAsync(ct).AsTask();
        await Task.WhenAny(_signalled, Task.Delay(rescanInterval, time, ct)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (!_signalled.IsCompleted)
        {
            return false;
        }

        await _signalled.ConfigureAwait(false);
        _signalled = null;
        _changed.Reader.TryRead(out _);
        return true;
    }

    public void Dispose() => _watcher?.Dispose();

    private void OnFileEvent(object sender, FileSystemEventArgs e) => _changed.Writer.TryWrite(true);
}
