using Weft.Api;
using Weft.ControlPlane.Objects;

namespace Weft.Cli.Local;

/// <summary>
/// The child control plane's side of <see cref="ClusterMirror"/>: loads the file weft up writes into the store as its own
/// source (registered after the manifests directory, so its Services, with their allocated ClusterIPs, win over the
/// directory's), once before discovery is served and then whenever its content changes (read every
/// <see cref="PollInterval"/>: a few kilobytes, and no missed rename as a file watcher may miss one).
/// </summary>
internal sealed class ClusterMirrorSource : IAsyncDisposable
{
    public const string SourceName = "local-cluster";

    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly ObjectStore _store;
    private readonly string _path;
    private readonly TextWriter _errors;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _polling;
    private string? _loaded;
    private string? _reported;

    private ClusterMirrorSource(ObjectStore store, string path, TextWriter errors)
    {
        _store = store;
        _path = path;
        _errors = errors;
        Load();
        _polling = PollAsync(_stop.Token);
    }

    /// <summary>Loads <paramref name="path"/> into <paramref name="store"/> now (nothing when it does not exist yet) and follows it.</summary>
    public static ClusterMirrorSource Start(ObjectStore store, string path, TextWriter errors) => new(store, path, errors);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        _stop.Dispose();
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                Load();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Load()
    {
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            text = "";
        }
        catch (IOException)
        {
            return; // read again on the next tick
        }

        if (text == _loaded)
        {
            return;
        }

        var result = ManifestLoader.LoadText(text, _path);
        if (result.HasProblems)
        {
            // weft up wrote what its own store holds, so a problem here is a defect: said once, the rest still loaded.
            var problems = string.Join("; ", result.Problems.Select(p => p.ToString()));
            if (problems != _reported)
            {
                _reported = problems;
                _errors.WriteLine($"warning: {_path}: {problems}");
            }
        }

        _store.Replace(SourceName, [.. result.Objects]);
        _loaded = text;
    }
}
