using System.CommandLine;
using Weft.Cli.Capture;

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
    public static Command Create()
    {
        // Numbers are read as text, so that every bad value gets the same "weft init: OPTION: 'VALUE' …" error and exit
        // code 2, and so that the uid and gid can be "none".
        var uid = new Option<string>(CaptureArguments.ProxyUid) { Description = $"The sidecar's uid; its traffic is not captured ('{CaptureArguments.NoId}': do not match on the uid; default {CaptureOptions.DefaultProxyId})" };
        var gid = new Option<string>(CaptureArguments.ProxyGid) { Description = $"The sidecar's gid; its traffic is not captured ('{CaptureArguments.NoId}': do not match on the gid; default {CaptureOptions.DefaultProxyId})" };
        var outbound = new Option<string>(CaptureArguments.OutboundPort) { Description = $"The sidecar's outbound listener: the app's outbound TCP goes there (default {CaptureOptions.DefaultOutboundPort})" };
        var inbound = new Option<string>(CaptureArguments.InboundPort) { Description = $"The sidecar's inbound listener: TCP arriving at the pod goes there (default {CaptureOptions.DefaultInboundPort})" };
        var admin = new Option<string>(CaptureArguments.AdminPort) { Description = $"The sidecar's admin port, never redirected (default {CaptureOptions.DefaultAdminPort})" };
        var excludeInbound = ListOption(CaptureArguments.ExcludeInboundPorts, "Ports whose inbound TCP goes straight to the app (comma-separated, repeatable)");
        var excludeOutbound = ListOption(CaptureArguments.ExcludeOutboundPorts, "Destination ports whose outbound TCP is not captured (comma-separated, repeatable)");
        var excludeCidrs = ListOption(CaptureArguments.ExcludeOutboundCidrs, "Destination IPv4 networks whose outbound TCP is not captured, e.g. 10.0.0.0/8 (comma-separated, repeatable)");
        var mode = new Option<string>(CaptureArguments.Mode) { Description = "iptables backend: auto (the one in use here, else the system's), nft or legacy (default auto)" };
        var dryRun = new Option<bool>(CaptureArguments.DryRun) { Description = "Print the iptables-restore input and the backend, change nothing" };
        var remove = new Option<bool>(CaptureArguments.Remove) { Description = "Remove every Weft chain and every jump into one, leaving other rules" };

        var command = new Command("init", "Capture the pod's TCP with iptables rules in this network namespace (run in the pod's init container)")
        {
            uid, gid, outbound, inbound, admin, excludeInbound, excludeOutbound, excludeCidrs, mode, dryRun, remove,
        };
        command.SetAction((parse, ct) =>
        {
            if (!CaptureArguments.TryRead(
                    parse.GetValue(uid), parse.GetValue(gid), parse.GetValue(outbound), parse.GetValue(inbound), parse.GetValue(admin),
                    parse.GetValue(excludeInbound) ?? [], parse.GetValue(excludeOutbound) ?? [], parse.GetValue(excludeCidrs) ?? [],
                    parse.GetValue(mode), out var options, out var error))
            {
                Console.Error.WriteLine($"weft init: {error}");
                return Task.FromResult(2);
            }

            return RunAsync(options, parse.GetValue(dryRun), parse.GetValue(remove), CaptureEnvironment.Current(), Console.Out, Console.Error, ct);
        });
        return command;
    }

    /// <summary>The verb's work once its options are read; tests call it with their own environment and writers.</summary>
    internal static Task<int> RunAsync(CaptureOptions options, bool dryRun, bool remove, CaptureEnvironment environment, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var setup = new CaptureSetup(environment, stdout, stderr);
        return dryRun ? setup.DryRunAsync(options, remove, ct)
            : remove ? setup.RemoveAsync(options.Mode, ct)
            : setup.ApplyAsync(options, ct);
    }

    private static Option<string[]> ListOption(string name, string description) =>
        new(name) { Description = description, AllowMultipleArgumentsPerToken = false };
}
