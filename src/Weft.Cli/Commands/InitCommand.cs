using System.CommandLine;
using Weft.Cli.Capture;
using Weft.Routing;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft init [--proxy-uid N] [--proxy-gid N] [--outbound-port P] [--inbound-port P] [--admin-port P]
/// [--exclude-inbound-ports P,…] [--exclude-outbound-ports P,…] [--exclude-outbound-cidrs CIDR,…]
/// [--iptables-mode auto|nft|legacy] [--dry-run] [--remove]</c>: writes the iptables rules that send the pod's TCP
/// through its sidecar, in the network namespace it runs in, as a pod's init container does (<c>weft up</c> runs it the
/// same way, inside each pod's namespace). The rules and their reasons live in <see cref="CaptureRules"/>.
/// </summary>
internal static class InitCommand
{
    public static Command Create() => Create(out _);

    /// <summary>
    /// Reads a whole <c>init …</c> command line (as <see cref="CaptureOptions.ToArguments"/> writes it) the way the verb
    /// does, without running anything.
    /// </summary>
    internal static bool TryParse(IReadOnlyList<string> args, out CaptureOptions options, out string error)
    {
        var parse = new RootCommand { Create(out var init) }.Parse(args);
        if (parse.Errors.Count > 0)
        {
            options = CaptureOptions.Default;
            error = parse.Errors[0].Message;
            return false;
        }

        return init.TryRead(parse, out options, out error);
    }

    /// <summary>The verb's work once its options are read; tests call it with their own environment and writers.</summary>
    internal static Task<int> RunAsync(CaptureOptions options, bool dryRun, bool remove, CaptureEnvironment environment, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var setup = new CaptureSetup(environment, stdout, stderr);
        return dryRun ? setup.DryRunAsync(options, remove, ct)
            : remove ? setup.RemoveAsync(options.Mode, ct)
            : setup.ApplyAsync(options, ct);
    }

    private static Command Create(out InitOptions init)
    {
        var options = init = new InitOptions();
        var command = new Command("init", "Capture the pod's TCP with iptables rules in this network namespace (run in the pod's init container; "
            + "never in the host's own namespace, where it would capture the host's traffic: undo with --remove)");
        foreach (var option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) =>
        {
            if (!options.TryRead(parse, out var capture, out var error))
            {
                Console.Error.WriteLine($"weft init: {error}");
                return Task.FromResult(2);
            }

            return RunAsync(capture, parse.GetValue(options.DryRun), parse.GetValue(options.Remove), CaptureEnvironment.Current(), Console.Out, Console.Error, ct);
        });
        return command;
    }

    private sealed class InitOptions
    {
        // Numbers are read as text, so that every bad value gets the same "weft init: OPTION: 'VALUE' …" error and exit
        // code 2, and so that the uid and gid can be "none".
        public Option<string> ProxyUid { get; } = new(CaptureArguments.ProxyUid) { HelpName = "N|none", Description = $"The sidecar's uid; its traffic is not captured ('{CaptureArguments.NoId}': do not match on the uid; default {CaptureOptions.DefaultProxyId})" };

        public Option<string> ProxyGid { get; } = new(CaptureArguments.ProxyGid) { HelpName = "N|none", Description = $"The sidecar's gid; its traffic is not captured ('{CaptureArguments.NoId}': do not match on the gid; default {CaptureOptions.DefaultProxyId})" };

        public Option<string> OutboundPort { get; } = new(CaptureArguments.OutboundPort) { HelpName = "PORT", Description = $"The sidecar's outbound listener: the app's outbound TCP goes there (default {MeshPorts.Outbound})" };

        public Option<string> InboundPort { get; } = new(CaptureArguments.InboundPort) { HelpName = "PORT", Description = $"The sidecar's inbound listener: TCP arriving at the pod goes there (default {MeshPorts.Inbound})" };

        public Option<string> AdminPort { get; } = new(CaptureArguments.AdminPort) { HelpName = "PORT", Description = $"The sidecar's admin port, never redirected (default {MeshPorts.Admin})" };

        public Option<string[]> ExcludeInboundPorts { get; } = List(CaptureArguments.ExcludeInboundPorts, "PORT,…", "Ports whose inbound TCP goes straight to the app (comma-separated, repeatable)");

        public Option<string[]> ExcludeOutboundPorts { get; } = List(CaptureArguments.ExcludeOutboundPorts, "PORT,…", "Destination ports whose outbound TCP is not captured (comma-separated, repeatable)");

        public Option<string[]> ExcludeOutboundCidrs { get; } = List(CaptureArguments.ExcludeOutboundCidrs, "CIDR,…", "Destination IPv4 networks whose outbound TCP is not captured, e.g. 10.0.0.0/8 (comma-separated, repeatable)");

        public Option<string> Mode { get; } = new(CaptureArguments.Mode) { HelpName = "auto|nft|legacy", Description = "iptables backend: auto (the one in use here, else the system's), nft or legacy (default auto)" };

        public Option<bool> DryRun { get; } = new(CaptureArguments.DryRun) { Description = "Print the iptables-restore input and the backend, change nothing" };

        public Option<bool> Remove { get; } = new(CaptureArguments.Remove) { Description = "Remove every Weft chain and every jump into one, leaving other rules" };

        public IEnumerable<Option> All =>
            [ProxyUid, ProxyGid, OutboundPort, InboundPort, AdminPort, ExcludeInboundPorts, ExcludeOutboundPorts, ExcludeOutboundCidrs, Mode, DryRun, Remove];

        public bool TryRead(ParseResult parse, out CaptureOptions options, out string error) => CaptureArguments.TryRead(
            parse.GetValue(ProxyUid), parse.GetValue(ProxyGid), parse.GetValue(OutboundPort), parse.GetValue(InboundPort), parse.GetValue(AdminPort),
            parse.GetValue(ExcludeInboundPorts) ?? [], parse.GetValue(ExcludeOutboundPorts) ?? [], parse.GetValue(ExcludeOutboundCidrs) ?? [],
            parse.GetValue(Mode), out options, out error);

        private static Option<string[]> List(string name, string helpName, string description) =>
            new(name) { HelpName = helpName, Description = description, AllowMultipleArgumentsPerToken = false };
    }
}
