using System.Globalization;

namespace Weft.Cli.Capture;

/// <summary>
/// One iptables backend's save and restore programs, run directly (argument lists, never a shell) in this process's
/// network namespace, with <c>LC_ALL=C</c> so that their messages can be recognised.
/// </summary>
internal sealed class IptablesBackend
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    // The legacy restore takes the xtables lock (one per machine, not per namespace, so pods starting together compete
    // for it); wait for it rather than fail. The nft one accepts the flag and ignores it.
    private static readonly string[] RestoreArguments = ["--noflush", "--wait=10"];

    private readonly string _restorePath;
    private readonly string _savePath;

    public IptablesBackend(IptablesMode mode, string restorePath, string savePath)
    {
        Mode = mode;
        _restorePath = restorePath;
        _savePath = savePath;
    }

    public IptablesMode Mode { get; }

    /// <summary>The restore program's name, as messages show it.</summary>
    public string RestoreName => Path.GetFileName(_restorePath);

    /// <summary>
    /// The backends installed, and the system's default (<c>iptables --version</c>: "nf_tables" or "legacy"; before 1.8 it
    /// names neither, and only legacy existed). The plain <c>iptables-restore</c> counts only when no <c>-nft</c>/<c>-legacy</c>
    /// program of its backend exists.
    /// </summary>
    public static async Task<(IReadOnlyList<IptablesBackend> Backends, IptablesMode? SystemDefault)> DiscoverAsync(IptablesBinaries binaries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(binaries);
        IptablesMode? systemDefault = null;
        if (binaries.Iptables is { } iptables)
        {
            var version = await RunAsync(iptables, ["--version"], null, ct);
            if (version.ExitCode == 0)
            {
                systemDefault = version.Stdout.Contains("nf_tables", StringComparison.Ordinal) ? IptablesMode.Nft : IptablesMode.Legacy;
            }
        }

        var backends = new List<IptablesBackend>();
        if (binaries is { NftRestore: { } nftRestore, NftSave: { } nftSave })
        {
            backends.Add(new IptablesBackend(IptablesMode.Nft, nftRestore, nftSave));
        }

        if (binaries is { LegacyRestore: { } legacyRestore, LegacySave: { } legacySave })
        {
            backends.Add(new IptablesBackend(IptablesMode.Legacy, legacyRestore, legacySave));
        }

        var plainMode = systemDefault ?? IptablesMode.Legacy;
        if (binaries is { PlainRestore: { } plainRestore, PlainSave: { } plainSave } && backends.All(b => b.Mode != plainMode))
        {
            backends.Add(new IptablesBackend(plainMode, plainRestore, plainSave));
        }

        return (backends, systemDefault);
    }

    /// <summary>
    /// The rules as <c>iptables-save</c> prints them: every table (<paramref name="table"/> null), or one. Reading every
    /// table only lists those already in use; naming a legacy table would create it in this namespace.
    /// </summary>
    public async Task<SavedRuleset> SaveAsync(string? table, CancellationToken ct)
    {
        var result = await RunAsync(_savePath, table is null ? [] : ["-t", table], null, ct);
        if (result.PermissionDenied)
        {
            throw CaptureFailure.NotPrivileged($"{Path.GetFileName(_savePath)} was refused");
        }

        if (result.ExitCode != 0)
        {
            throw new CaptureFailure($"{Path.GetFileName(_savePath)} failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
        }

        return SavedRuleset.Parse(result.Stdout);
    }

    /// <summary>Applies one restore input with <c>--noflush</c>: the kernel takes it whole or not at all.</summary>
    public Task<IptablesResult> RestoreAsync(string input, CancellationToken ct) => RunAsync(_restorePath, RestoreArguments, input, ct);

    /// <summary>The restore command line, as a dry run shows it.</summary>
    public string RestoreCommand => string.Join(' ', [RestoreName, .. RestoreArguments]);

    private static async Task<IptablesResult> RunAsync(string file, IReadOnlyList<string> arguments, string? stdin, CancellationToken ct)
    {
        var result = await HostProgram.RunAsync(file, arguments, stdin, Locale, RunTimeout, ct);
        if (result.NotStarted)
        {
            throw new CaptureFailure(result.Stderr, 2);
        }

        if (result.TimedOut)
        {
            throw new CaptureFailure(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(file)} did not finish within {RunTimeout.TotalSeconds} s"));
        }

        return new IptablesResult(result.ExitCode, result.Stdout, result.Stderr);
    }

    /// <summary>Messages in English, so that "Permission denied" can be recognised.</summary>
    private static readonly Dictionary<string, string> Locale = new(StringComparer.Ordinal) { ["LC_ALL"] = "C" };
}
