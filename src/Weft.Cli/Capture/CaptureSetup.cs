using System.Globalization;

namespace Weft.Cli.Capture;

/// <summary>
/// What <c>weft init</c> does in the network namespace it runs in: install the capture rules (<see cref="ApplyAsync"/>),
/// remove them (<see cref="RemoveAsync"/>), or show them (<see cref="DryRunAsync"/>). Each returns the exit code: 0 done,
/// 1 iptables refused or the table read back is wrong, 2 could not start (see <see cref="CaptureFailure"/>). Nothing is
/// touched before the checks that can fail without iptables' help (installed, privileged, backend) have passed.
/// </summary>
internal sealed class CaptureSetup
{
    private const string Name = "weft init";

    private readonly CaptureEnvironment _environment;
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;

    public CaptureSetup(CaptureEnvironment environment, TextWriter stdout, TextWriter stderr)
    {
        _environment = environment;
        _stdout = stdout;
        _stderr = stderr;
    }

    public Task<int> ApplyAsync(CaptureOptions options, CancellationToken ct) => RunAsync(async () =>
    {
        var (backend, current) = await ChooseAsync(options.Mode, ct);
        var input = CaptureRules.RestoreInput(options, current);
        await RestoreAsync(backend, input, ct);
        var applied = await backend.SaveAsync(CaptureRules.Table, ct);
        if (CaptureRules.Verify(options, applied) is { Count: > 0 } problems)
        {
            throw new CaptureFailure($"{backend.RestoreName} succeeded but the nat table read back does not hold the rules: {string.Join("; ", problems)}");
        }

        WriteSummary(options, backend, CaptureRules.StaleJumps(current).Count);
    });

    /// <summary>
    /// Removes every Weft chain and every jump into one: from the backend named, or in auto from each backend holding
    /// any (a namespace that was captured twice, once per backend, is cleaned whole).
    /// </summary>
    public Task<int> RemoveAsync(IptablesMode mode, CancellationToken ct) => RunAsync(async () =>
    {
        var (backends, systemDefault) = await DiscoverAsync(ct);
        if (mode != IptablesMode.Auto)
        {
            var states = backends.Select(b => new BackendState(b.Mode, 0, false)).ToList();
            _ = BackendChoice.Choose(mode, states, systemDefault, out var error) ?? throw new CaptureFailure(error, 2);
        }

        var removed = 0;
        foreach (var backend in backends.Where(b => mode == IptablesMode.Auto || b.Mode == mode))
        {
            var current = await backend.SaveAsync(null, ct);
            if (CaptureRules.RemovalInput(current) is not { } input)
            {
                continue;
            }

            _stderr.WriteLine($"{Name}: using {backend.RestoreName}: Weft's chains are there");
            await RestoreAsync(backend, input, ct);
            if (CaptureRules.RemovalInput(await backend.SaveAsync(CaptureRules.Table, ct)) is not null)
            {
                throw new CaptureFailure($"{backend.RestoreName} succeeded but Weft's chains or jumps are still in the nat table");
            }

            var chains = current.ChainsOf(CaptureRules.Table).Where(CaptureRules.IsWeftChain).ToList();
            var jumps = current.Rules.Count(r => r.Table == CaptureRules.Table && !CaptureRules.IsWeftChain(r.Chain) && CaptureRules.IsWeftChain(r.Target));
            _stdout.WriteLine($"{Name}: removed {Plural(chains.Count, "chain")} ({string.Join(", ", chains)}) and {Plural(jumps, "jump")} into them with {backend.RestoreName}");
            removed++;
        }

        if (removed == 0)
        {
            _stdout.WriteLine($"{Name}: nothing of Weft's to remove in this network namespace");
        }
    });

    /// <summary>
    /// Prints the restore input a run would apply, changing nothing. Where the current rules cannot be read (no iptables,
    /// no privilege), it prints the input for a fresh namespace and says so.
    /// </summary>
    public Task<int> DryRunAsync(CaptureOptions options, bool remove, CancellationToken ct) => RunAsync(async () =>
    {
        var binaries = IptablesBinaries.Find(_environment.SearchPath);
        string? unread = !binaries.AnyRestore ? CaptureFailure.NotInstalledMessage
            : _environment.Capabilities is { } caps && !caps.Has(ProcessCapabilities.NetAdmin) ? "no CAP_NET_ADMIN to read them"
            : null;
        IptablesBackend? backend = null;
        var current = SavedRuleset.Empty;
        if (unread is null)
        {
            try
            {
                (backend, current) = await ChooseAsync(options.Mode, ct);
            }
            catch (CaptureFailure e)
            {
                unread = e.Message;
            }
        }

        if (unread is not null)
        {
            _stderr.WriteLine($"{Name}: cannot read the current rules ({unread}); showing the rules for a fresh network namespace");
            backend = binaries.AnyRestore ? await FreshBackendAsync(options.Mode, ct) : null;
        }

        var input = remove ? CaptureRules.RemovalInput(current) : CaptureRules.RestoreInput(options, current);
        var reader = backend is null ? "an iptables-restore --noflush" : backend.RestoreCommand;
        var subject = unread is null ? "this network namespace" : "a fresh network namespace";
        _stdout.WriteLine(input is null
            ? $"# {Name} --dry-run: nothing of Weft's to remove in {subject}"
            : $"# {Name} --dry-run: {reader} would read this in {subject}; nothing was changed");
        _stdout.Write(input ?? "");
    });

    private async Task<int> RunAsync(Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (CaptureFailure e)
        {
            _stderr.WriteLine($"{Name}: {e.Message}");
            return e.ExitCode;
        }
    }

    /// <summary>The installed backends, after the checks that need no iptables run: installed at all, and privileged.</summary>
    private async Task<(IReadOnlyList<IptablesBackend> Backends, IptablesMode? SystemDefault)> DiscoverAsync(CancellationToken ct)
    {
        var binaries = IptablesBinaries.Find(_environment.SearchPath);
        if (!binaries.AnyRestore)
        {
            throw CaptureFailure.NotInstalled();
        }

        if (_environment.Capabilities is { } caps && !caps.Has(ProcessCapabilities.NetAdmin))
        {
            throw CaptureFailure.NotPrivileged("this process has no CAP_NET_ADMIN");
        }

        return await IptablesBackend.DiscoverAsync(binaries, ct);
    }

    /// <summary>
    /// The backend (see <see cref="BackendChoice.Choose"/>, said on stderr) and its current rules. In auto every backend
    /// is read, to see which holds rules; an explicit mode reads only its own.
    /// </summary>
    private async Task<(IptablesBackend Backend, SavedRuleset Current)> ChooseAsync(IptablesMode requested, CancellationToken ct)
    {
        var (backends, systemDefault) = await DiscoverAsync(ct);
        var saved = new Dictionary<IptablesMode, SavedRuleset>();
        foreach (var backend in backends.Where(b => requested == IptablesMode.Auto || b.Mode == requested))
        {
            saved[backend.Mode] = await backend.SaveAsync(null, ct);
        }

        var states = backends.Select(b => saved.TryGetValue(b.Mode, out var rules)
            ? new BackendState(b.Mode, rules.Rules.Count, rules.ChainsOf(CaptureRules.Table).Any(CaptureRules.IsWeftChain))
            : new BackendState(b.Mode, 0, false)).ToList();
        var choice = BackendChoice.Choose(requested, states, systemDefault, out var error) ?? throw new CaptureFailure(error, 2);
        var chosen = backends.First(b => b.Mode == choice.Mode);
        _stderr.WriteLine($"{Name}: using {chosen.RestoreName}: {choice.Reason}");
        return (chosen, saved[chosen.Mode]);
    }

    /// <summary>The backend a fresh namespace would get: nothing can be read, so only the installed programs count.</summary>
    private async Task<IptablesBackend?> FreshBackendAsync(IptablesMode requested, CancellationToken ct)
    {
        var (backends, systemDefault) = await IptablesBackend.DiscoverAsync(IptablesBinaries.Find(_environment.SearchPath), ct);
        var states = backends.Select(b => new BackendState(b.Mode, 0, false)).ToList();
        if (BackendChoice.Choose(requested, states, systemDefault, out var error) is not { } choice)
        {
            _stderr.WriteLine($"{Name}: {error}");
            return null;
        }

        var chosen = backends.First(b => b.Mode == choice.Mode);
        _stderr.WriteLine($"{Name}: using {chosen.RestoreName}: {choice.Reason}");
        return chosen;
    }

    private async Task RestoreAsync(IptablesBackend backend, string input, CancellationToken ct)
    {
        var result = await backend.RestoreAsync(input, ct);
        if (result.PermissionDenied)
        {
            throw CaptureFailure.NotPrivileged($"{backend.RestoreName} was refused");
        }

        if (result.ExitCode != 0)
        {
            _stderr.Write(result.Stderr);
            throw new CaptureFailure(string.Create(CultureInfo.InvariantCulture,
                $"{backend.RestoreName} failed (exit {result.ExitCode}); nothing was changed: a restore input applies whole or not at all"));
        }
    }

    private void WriteSummary(CaptureOptions options, IptablesBackend backend, int replacedJumps)
    {
        var own = string.Join(", ", new[] { options.ProxyUid is { } uid ? $"uid {uid}" : null, options.ProxyGid is { } gid ? $"gid {gid}" : null }.OfType<string>());
        var outboundExceptions = new List<string> { $"the sidecar's own ({own})", "loopback" };
        if (options.ExcludeOutboundPorts.Count > 0)
        {
            outboundExceptions.Add($"ports {string.Join(",", options.ExcludeOutboundPorts)}");
        }

        if (options.ExcludeOutboundCidrs.Count > 0)
        {
            outboundExceptions.Add(string.Join(",", options.ExcludeOutboundCidrs));
        }

        var inboundExceptions = new List<string> { $"{options.InboundPort} (inbound)", $"{options.AdminPort} (admin)" };
        inboundExceptions.AddRange(options.ExcludeInboundPorts.Where(p => p != options.InboundPort && p != options.AdminPort).Select(p => p.ToString(CultureInfo.InvariantCulture)));
        _stdout.WriteLine($"{Name}: capture rules written with {backend.RestoreName} (nat table{(replacedJumps > 0 ? ", replacing the previous ones" : "")})");
        _stdout.WriteLine($"  outbound: TCP from the app -> 127.0.0.1:{options.OutboundPort}, except {string.Join(", ", outboundExceptions)}");
        _stdout.WriteLine($"  inbound:  TCP to any port -> :{options.InboundPort}, except ports {string.Join(", ", inboundExceptions)}");
        _stdout.WriteLine($"  chains:   {string.Join(", ", CaptureRules.Chains)}; jumps from {string.Join(", ", CaptureRules.Jumps.Select(j => j.From))} (TCP only)");
    }

    private static string Plural(int count, string noun) => string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? "" : "s")}");
}
