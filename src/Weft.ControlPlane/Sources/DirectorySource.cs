using Microsoft.Extensions.Logging;
using Weft.Api;
using Weft.Api.Model;
using Weft.ControlPlane.Internal;
using Weft.ControlPlane.Objects;

namespace Weft.ControlPlane.Sources;

/// <summary>
/// A directory of manifests as a source of the <see cref="ObjectStore"/> (the local mode's API server): loaded with
/// <see cref="ManifestLoader"/>, then watched so that adding, editing or deleting a file takes effect within a second,
/// without a restart. A deleted file deletes its objects, as <c>kubectl delete -f</c> would.
/// </summary>
/// <remarks>
/// FileSystemWatcher misses events (overflow, some editors' rename dance, network file systems), so a rescan every
/// <see cref="RescanInterval"/> compares the files' paths, sizes and modification times as a fallback. A change in
/// those is confirmed against a hash of the contents before anything is reloaded, so touching or rewriting a file
/// with the same text changes nothing.
/// </remarks>
public sealed class DirectorySource : IAsyncDisposable
{
    /// <summary>The name this source has in the store.</summary>
    public const string SourceName = "files";

    private readonly ObjectStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _scanGate = new();
    private DirectoryWatch? _watcher;
    private Task _watch = Task.CompletedTask;
    private string? _fingerprint;
    private byte[]? _contentHash;
    private LoadResult _loaded = LoadResult.Empty;
    private Dictionary<string, List<KubeObject>> _lastGood = new(StringComparer.Ordinal);

    public DirectorySource(string directory, ObjectStore store, ILogger logger, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        _store = store;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public string Directory { get; }

    /// <summary>File names that are not manifests though they end in .yaml (the local mode's image map).</summary>
    public IReadOnlySet<string> IgnoredFileNames { get; init; } = new HashSet<string>();

    /// <summary>How often the directory is rescanned in case the file system watcher missed a change.</summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The problems of the last load (syntax errors, invalid objects, unreadable files). Their objects are not in the
    /// store as the files now have them; a broken file's objects and an invalid object's last valid version are kept.
    /// </summary>
    public IReadOnlyList<ManifestProblem> Problems => Volatile.Read(ref _loaded).Problems;

    /// <summary>Objects of kinds Weft does not read, from the last load.</summary>
    public IReadOnlyList<SkippedObject> Skipped => Volatile.Read(ref _loaded).Skipped;

    /// <summary>Loads the directory into the store now, then watches it. Returns the store version after the load.</summary>
    public long Start()
    {
        Rescan(force: true);
        _watcher = new DirectoryWatch(Directory, IgnoredFileNames);
        if (_watcher.Unavailable is { } why)
        {
            Log.WatcherUnavailable(_logger, Directory, why);
        }

        _watch = Task.Run(() => WatchAsync(_stop.Token));
        return _store.Version;
    }

    /// <summary>
    /// Scans the directory and reloads it when its files changed. Returns true when it reloaded.
    /// Runs on the watch loop; callable directly (tests, a forced refresh).
    /// </summary>
    public bool Rescan(bool force = false) => Scan(force, checkContent: false);

    /// <param name="force">Reload even when nothing changed.</param>
    /// <param name="checkContent">Compare contents even when sizes and times are the same (a watcher event said something changed).</param>
    private bool Scan(bool force, bool checkContent)
    {
        lock (_scanGate)
        {
            var fingerprint = Fingerprint();
            if (!force && !checkContent && fingerprint == _fingerprint)
            {
                return false;
            }

            _fingerprint = fingerprint;
            var hash = ContentHash();
            if (!force && _contentHash is not null && hash.AsSpan().SequenceEqual(_contentHash))
            {
                return false;
            }

            _contentHash = hash;
            var before = Volatile.Read(ref _loaded);
            var previous = ByKey(before.Objects);
            var result = KeepLastGood(WithGenerations(ManifestLoader.LoadPaths([.. ManifestFiles()], specDigests: true), previous), previous);
            Volatile.Write(ref _loaded, result);
            var version = _store.Replace(SourceName, result.Objects);
            Log.Loaded(_logger, Directory, result.Objects.Count, result.Problems.Count, version);
            LogNewProblems(before, result);
            return true;
        }
    }

    /// <summary>
    /// An edit that brings a problem (a syntax error, an invalid object) is said as a warning when it is loaded, each
    /// problem once while it lasts, as <c>kubectl apply</c> answers an edit at once; <c>weft status</c> lists them all.
    /// The first load's are the host's to show (<c>weft up</c> prints them with its start).
    /// </summary>
    private void LogNewProblems(LoadResult before, LoadResult result)
    {
        if (ReferenceEquals(before, LoadResult.Empty))
        {
            return; // the first load
        }

        var known = before.Problems.Select(p => p.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var problem in result.Problems.Select(p => p.ToString()))
        {
            if (known.Add(problem))
            {
                Log.ManifestProblem(_logger, problem);
            }
        }
    }

    /// <summary>
    /// <c>metadata.generation</c> as the API server keeps it: 1 when an object appears (whatever the file says), one more
    /// each time a load changes anything of it but its metadata and status (<see cref="ObjectSource.SpecDigest"/>), so
    /// that a route's status says which edit it describes (<c>observedGeneration</c>).
    /// </summary>
    private static LoadResult WithGenerations(LoadResult result, Dictionary<string, KubeObject> previous)
    {
        var objects = new List<KubeObject>(result.Objects.Count);
        foreach (var o in result.Objects)
        {
            var generation = previous.TryGetValue(GenerationKey(o), out var last)
                ? last.Source.SpecDigest == o.Source.SpecDigest ? last.Metadata.Generation : last.Metadata.Generation + 1
                : 1;
            objects.Add(o.Metadata.Generation == generation ? o : o with { Metadata = o.Metadata with { Generation = generation } });
        }

        return new LoadResult(objects, result.Problems, result.Skipped);
    }

    private static string GenerationKey(KubeObject o) => $"{o.Kind} {o.Key}";

    /// <summary>The last load's objects by <see cref="GenerationKey"/>: one object in two files, the last wins, as in the store.</summary>
    private static Dictionary<string, KubeObject> ByKey(IReadOnlyList<KubeObject> objects)
    {
        var byKey = new Dictionary<string, KubeObject>(objects.Count, StringComparer.Ordinal);
        foreach (var o in objects)
        {
            byKey[GenerationKey(o)] = o;
        }

        return byKey;
    }

    /// <summary>
    /// A load does not take away what <c>kubectl apply</c> of the same files would leave in a cluster, so that a
    /// half-saved or mistyped edit does not delete a route under live traffic: a file that no longer parses keeps the
    /// objects it gave when it last did (applying a broken file changes nothing), and an object whose edit is invalid
    /// keeps its last valid version (the API server rejects the edit and keeps what it had). An object that was never
    /// valid stays absent, and one no longer in the files is deleted. Their problems (shown by <c>weft status</c>) say so.
    /// </summary>
    private LoadResult KeepLastGood(LoadResult result, Dictionary<string, KubeObject> previous)
    {
        var broken = result.Problems.Where(p => p.Kind == ProblemKind.Syntax).Select(p => p.File).ToHashSet(StringComparer.Ordinal);
        var lastGood = new Dictionary<string, List<KubeObject>>(StringComparer.Ordinal);
        var objects = new List<KubeObject>(result.Objects.Count);
        foreach (var o in result.Objects.Where(o => !broken.Contains(o.Source.File)))
        {
            objects.Add(o);
            (lastGood.TryGetValue(o.Source.File, out var list) ? list : lastGood[o.Source.File] = []).Add(o);
        }

        foreach (var file in broken.Order(StringComparer.Ordinal))
        {
            if (_lastGood.TryGetValue(file, out var kept))
            {
                objects.AddRange(kept);
                lastGood[file] = kept;
            }
        }

        // An invalid object in a broken file is the file's to keep (above). One that moved to another file and is
        // invalid there keeps its last valid version too: the files still declare it.
        var present = objects.Select(GenerationKey).ToHashSet(StringComparer.Ordinal);
        var keptInvalid = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in result.Problems.Where(p => p.Kind == ProblemKind.Invalid && !broken.Contains(p.File)))
        {
            if (ObjectKey(p) is { } key && previous.TryGetValue(key, out var last) && present.Add(key))
            {
                objects.Add(last);
                (lastGood.TryGetValue(p.File, out var list) ? list : lastGood[p.File] = []).Add(last);
                keptInvalid.Add(key);
            }
        }

        _lastGood = lastGood;
        if (broken.Count == 0 && keptInvalid.Count == 0)
        {
            return result;
        }

        var problems = result.Problems
            .Select(p => p.Kind switch
            {
                ProblemKind.Syntax when lastGood.ContainsKey(p.File) => p with { Message = $"{p.Message} (the objects this file held when it last parsed are kept)" },
                ProblemKind.Invalid when ObjectKey(p) is { } key && keptInvalid.Contains(key) => p with { Message = $"{p.Message} (the last valid version of this object is kept)" },
                _ => p,
            })
            .ToList();
        return new LoadResult(objects, problems, result.Skipped);
    }

    /// <summary>The <see cref="GenerationKey"/> of a problem's object, or null when the problem does not name one.</summary>
    private static string? ObjectKey(ManifestProblem p) => p.ObjectKind is null || string.IsNullOrEmpty(p.ObjectName)
        ? null
        : p.ObjectNamespace is null ? $"{p.ObjectKind} {p.ObjectName}" : $"{p.ObjectKind} {p.ObjectNamespace}/{p.ObjectName}";

    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _watch.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // A file event makes the contents be compared even when sizes and times look the same.
                var fromEvent = await _watcher!.WaitAsync(RescanInterval, _time, ct).ConfigureAwait(false);
                Scan(force: false, checkContent: fromEvent);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.RescanFailed(_logger, Directory, e);
            }
        }
    }

    private IReadOnlyList<string> ManifestFiles() => DirectoryWatch.ManifestFiles(Directory, IgnoredFileNames);

    private string Fingerprint()
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in ManifestFiles())
        {
            var info = new FileInfo(file);
            if (info.Exists)
            {
                text.Append(file).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
            }
        }

        return text.ToString();
    }

    private byte[] ContentHash() => DirectoryWatch.ContentHash(ManifestFiles());
}
