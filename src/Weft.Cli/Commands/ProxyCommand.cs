using System.CommandLine;
using System.CommandLine.Parsing;
using Weft.Proxy;
using Weft.Routing;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft proxy</c>: runs the sidecar with the <c>weft-proxy</c> executable's command line. The options are declared from
/// <see cref="ProxyArguments.All"/> (for help and word splitting only); the words go to <see cref="ProxyArguments.TryParse"/>,
/// so both read the same options with the same checks and messages.
/// </summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var command = new Command("proxy", $"Run the sidecar proxy of one pod (the workload token comes from {ProxyFlags.TokenFile} or {Weft.Routing.MeshWire.TokenVariable})");
        foreach (var option in ProxyArguments.All)
        {
            command.Options.Add(option switch
            {
                { IsFlag: true } => new Option<bool>(option.Name) { Description = option.Description, Arity = ArgumentArity.Zero },
                { Repeatable: true } => new Option<string[]>(option.Name) { Description = option.Description, HelpName = option.Value, Arity = ArgumentArity.OneOrMore },
                _ => new Option<string>(option.Name) { Description = option.Description, HelpName = option.Value },
            });
        }

        command.SetAction(async (result, ct) =>
        {
            if (!ProxyArguments.TryParse(Words(result, command), out var options, out var error))
            {
                await Console.Error.WriteLineAsync($"weft proxy: {error}\n{ProxyArguments.Usage}");
                return 2;
            }

            InlineCompletions.PreferUnlessSet(); // a process of its own, as weft-proxy is
            await ProxyHost.RunAsync(options, ct);
            return 0;
        });
        return command;
    }

    /// <summary>The words after <c>proxy</c>, as System.CommandLine split them (<c>--pod=a/b</c> is two words).</summary>
    internal static List<string> Words(ParseResult result, Command proxy) =>
        [.. result.Tokens.SkipWhile(t => t.Type != TokenType.Command || t.Value != proxy.Name).Skip(1).Select(t => t.Value)];
}
